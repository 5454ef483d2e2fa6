-- veil for Neovim: attaches `veil lsp` to every buffer that has a file and
-- adds :VeilChat and :VeilStatus.
--
--   require('veil').setup{ cmd = { 'veil', 'lsp' } }
--
-- Neovim 0.11+ uses vim.lsp.config/vim.lsp.enable (and inline completion on
-- 0.12+), 0.8-0.10 vim.lsp.start, 0.7 vim.lsp.start_client + buf_attach_client.

local M = {}

local defaults = {
  -- The command that starts the server. Extra flags go here too, e.g.
  -- { 'veil', 'lsp', '--config', '/path/veil.yaml' }.
  cmd = { 'veil', 'lsp' },
  -- The client's name (what :LspInfo shows).
  name = 'veil',
  -- Files whose directory becomes the workspace root.
  root_markers = { '.git' },
  -- nil attaches to every buffer with a file; a list restricts to filetypes.
  filetypes = nil,
  -- 0.12+: show veil's inline completions as ghost text.
  inline_completion = true,
  -- Set 'omnifunc' so <C-x><C-o> lists veil's completion item.
  omnifunc = true,
  -- Called as on_attach(client, bufnr) after veil's own attach work.
  on_attach = nil,
  -- Passed to the client; 0 sends every change at once (veil coalesces).
  flags = { debounce_text_changes = 0 },
  -- The question :VeilChat asks when given none.
  chat_default_question = 'Explain this code',
}

-- state is per Neovim instance: setup() fills it.
local state = {
  config = nil,
  client_id = nil, -- 0.7 only: the one client all buffers attach to
  routes = {}, -- uri -> { route = 'local'|'block'|..., reason = string }
  progress = {}, -- workDoneToken -> function(value), for :VeilChat streaming
  augroup = nil,
}

local function has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

-- request sends an LSP request on client; 0.11 made client methods
-- colon-called (the dot form still works there but warns).
function M.request(client, method, params, handler, bufnr)
  if has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG }

-- Handlers for this client only; everything else keeps Neovim's defaults.
local function make_handlers()
  local default_progress = vim.lsp.handlers['$/progress']
  return {
    -- veil sends one Warning per blocked document ("... not sent: ...").
    -- Neovim 0.7 writes showMessage to the message area without vim.notify;
    -- routing it through vim.notify shows it the way notifications plugins
    -- (and the user's vim.notify override) expect.
    ['window/showMessage'] = function(_, result)
      if type(result) == 'table' and type(result.message) == 'string' then
        local msg = result.message
        if msg:sub(1, 5) ~= 'veil:' then
          msg = 'veil: ' .. msg
        end
        vim.notify(msg, levels[result.type] or vim.log.levels.INFO)
      end
      return vim.NIL
    end,
    ['veil/status'] = function(_, result)
      M._set_status(result)
      return vim.NIL
    end,
    ['$/progress'] = function(err, result, ctx, config)
      local sink = type(result) == 'table' and state.progress[result.token] or nil
      if sink then
        sink(result.value)
        return vim.NIL
      end
      if default_progress then
        return default_progress(err, result, ctx, config)
      end
      return vim.NIL
    end,
  }
end

-- _set_status records a `veil/status` payload {uri, route, reason}.
function M._set_status(result)
  if type(result) ~= 'table' or type(result.uri) ~= 'string' or type(result.route) ~= 'string' then
    return
  end
  state.routes[result.uri] = { route = result.route, reason = result.reason or '' }
  local ok, fname = pcall(vim.uri_to_fname, result.uri)
  if ok then
    local bufnr = vim.fn.bufnr(fname)
    if bufnr > 0 then
      vim.b[bufnr].veil_route = result.route
      vim.b[bufnr].veil_reason = result.reason or ''
    end
  end
  vim.api.nvim_exec_autocmds('User', { pattern = 'VeilStatus', modeline = false })
end

-- status returns the route veil reported for a buffer ('local', 'block', ...)
-- and its reason, or nil when veil has said nothing yet.
function M.status(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local s = state.routes[vim.uri_from_bufnr(bufnr)]
  if s == nil then
    return nil
  end
  return s.route, s.reason
end

-- statusline returns a short text for 'statusline': "veil:local", "veil:BLOCKED" or "".
function M.statusline()
  local route = M.status(0)
  if route == nil then
    return ''
  end
  if route == 'block' then
    return 'veil:BLOCKED'
  end
  return 'veil:' .. route
end

-- client returns veil's client attached to bufnr (current buffer when nil).
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local name = state.config and state.config.name or 'veil'
  local clients
  if vim.lsp.get_clients then -- 0.10+
    clients = vim.lsp.get_clients({ bufnr = bufnr, name = name })
  else
    clients = vim.lsp.buf_get_clients(bufnr)
  end
  for _, c in pairs(clients) do
    if c.name == name then
      return c
    end
  end
  return nil
end

local function request_status(client, bufnr)
  local uri = vim.uri_from_bufnr(bufnr)
  M.request(client, 'veil/status', { uri = uri }, function(err, result)
    if err == nil and type(result) == 'table' then
      result.uri = result.uri or uri
      M._set_status(result)
    end
  end, bufnr)
end

local function on_attach(client, bufnr)
  local cfg = state.config
  if cfg.omnifunc then
    vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  end
  if cfg.inline_completion and vim.lsp.inline_completion and vim.lsp.inline_completion.enable then
    pcall(vim.lsp.inline_completion.enable, true, { bufnr = bufnr })
  end
  request_status(client, bufnr)
  if cfg.on_attach then
    cfg.on_attach(client, bufnr)
  end
end

-- wants reports whether veil should attach to bufnr: a normal buffer with a
-- file name (and, if configured, one of the filetypes).
local function wants(bufnr)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return false
  end
  if vim.bo[bufnr].buftype ~= '' then
    return false
  end
  if vim.api.nvim_buf_get_name(bufnr) == '' then
    return false
  end
  local fts = state.config.filetypes
  if fts ~= nil then
    return vim.tbl_contains(fts, vim.bo[bufnr].filetype)
  end
  return true
end

-- root_for walks up from the buffer's directory to the first directory
-- holding one of the root markers; the file's directory when none does.
local function root_for(bufnr)
  local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p:h')
  local d = dir
  while d and d ~= '' do
    for _, m in ipairs(state.config.root_markers or {}) do
      if (vim.uv or vim.loop).fs_stat(d .. '/' .. m) then
        return d
      end
    end
    local parent = vim.fn.fnamemodify(d, ':h')
    if parent == d then
      break
    end
    d = parent
  end
  return dir
end

local function client_config(root_dir)
  local cfg = state.config
  return {
    name = cfg.name,
    cmd = cfg.cmd,
    root_dir = root_dir,
    handlers = make_handlers(),
    on_attach = on_attach,
    flags = cfg.flags,
  }
end

-- attach starts or reuses veil's client for bufnr (Neovim 0.7-0.10).
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not wants(bufnr) or M.client(bufnr) ~= nil then
    return
  end
  if has('0.8') then
    vim.api.nvim_buf_call(bufnr, function()
      vim.lsp.start(client_config(root_for(bufnr)))
    end)
    return
  end
  -- 0.7: one client for the session, started with the first buffer's root.
  local c = state.client_id and vim.lsp.get_client_by_id(state.client_id)
  if c == nil or c.is_stopped() then
    state.client_id = vim.lsp.start_client(client_config(root_for(bufnr)))
    if state.client_id == nil then
      vim.notify('veil: could not start ' .. table.concat(state.config.cmd, ' '), vim.log.levels.ERROR)
      return
    end
  end
  vim.lsp.buf_attach_client(bufnr, state.client_id)
end

local function create_commands()
  vim.api.nvim_create_user_command('VeilChat', function(opts)
    require('veil.chat').run(opts, state)
  end, { nargs = '*', range = true, desc = 'Ask veil about the selected lines (or the current line)' })

  vim.api.nvim_create_user_command('VeilStatus', function()
    local bufnr = vim.api.nvim_get_current_buf()
    local client = M.client(bufnr)
    if client == nil then
      vim.notify('veil: not attached to this buffer', vim.log.levels.WARN)
      return
    end
    local uri = vim.uri_from_bufnr(bufnr)
    M.request(client, 'veil/status', { uri = uri }, function(err, result)
      if err ~= nil or type(result) ~= 'table' then
        vim.notify('veil: status failed: ' .. vim.inspect(err), vim.log.levels.ERROR)
        return
      end
      result.uri = result.uri or uri
      M._set_status(result)
      vim.notify(string.format('veil: %s (%s)', result.route, result.reason or ''), vim.log.levels.INFO)
    end, bufnr)
  end, { desc = "Show veil's route for this buffer" })
end

function M.setup(opts)
  state.config = vim.tbl_deep_extend('force', {}, defaults, opts or {})
  if opts and opts.cmd then
    state.config.cmd = opts.cmd -- lists are replaced, not merged
  end
  if opts and opts.root_markers then
    state.config.root_markers = opts.root_markers
  end
  create_commands()

  if has('0.11') and vim.lsp.config and vim.lsp.enable then
    local cfg = state.config
    vim.lsp.config(cfg.name, {
      cmd = cfg.cmd,
      root_markers = cfg.root_markers,
      filetypes = cfg.filetypes,
      handlers = make_handlers(),
      on_attach = on_attach,
      flags = cfg.flags,
    })
    vim.lsp.enable(cfg.name)
    return M
  end

  state.augroup = vim.api.nvim_create_augroup('veil', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'FileType' }, {
    group = state.augroup,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    M.attach(bufnr)
  end
  return M
end

-- _state is for tests.
function M._state()
  return state
end

return M
