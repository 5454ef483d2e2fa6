-- Headless test driver for the veil Neovim plugin. Run by editors/neovim_test.go:
--
--   nvim --headless -u NONE -c 'luafile test/driver.lua'
--
-- Environment: VEIL_PLUGIN (this plugin's directory), VEIL_BIN (the veil
-- binary), VEIL_WORKDIR (a workspace with main.py and .env), VEIL_RESULT
-- (where to write the JSON result). It loads the plugin exactly as a user's
-- init.lua would, opens the files, and records what the user would see.

local result = { steps = {} }
local function step(name)
  table.insert(result.steps, name)
end

local function finish(code)
  local f = io.open(os.getenv('VEIL_RESULT'), 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd(code == 0 and 'qall!' or 'cquit!')
end

-- ghost is where the 0.12 ghost-text step runs: main.py, the `def gre` row.
local ghost

-- poll calls k(true) once cond() holds, or k(false) after ms; it returns at
-- once, so the main loop keeps running (insert mode needs it).
local function poll(cond, ms, k)
  local t0 = vim.loop.now()
  local function tick()
    if cond() then
      return k(true)
    end
    if vim.loop.now() - t0 > ms then
      return k(false)
    end
    vim.defer_fn(tick, 20)
  end
  tick()
end

-- ghostText is the 0.12 vim.lsp.inline_completion path: insert mode at the
-- end of `def gre` shows veil's item as ghost text (an extmark), and
-- vim.lsp.inline_completion.get(), what a user maps to a key, accepts it.
-- Insert mode only starts once the script yields, so this runs on timers.
local function ghostText(timeout, done)
  vim.cmd('buffer ' .. ghost.src)
  vim.api.nvim_win_set_cursor(0, { ghost.row + 1, 0 })
  vim.cmd('startinsert!')
  local ns = vim.api.nvim_create_namespace('nvim.lsp.inline_completion')
  poll(function()
    return #vim.api.nvim_buf_get_extmarks(ghost.src, ns, 0, -1, {}) > 0
  end, timeout, function(shown)
    result.ghost_shown = shown
    result.ghost_accepted = vim.lsp.inline_completion.get()
    poll(function()
      return vim.api.nvim_buf_get_lines(ghost.src, ghost.row, ghost.row + 1, false)[1] ~= ghost.line
    end, timeout, function()
      result.ghost_line = vim.api.nvim_buf_get_lines(ghost.src, ghost.row, ghost.row + 1, false)[1]
      vim.cmd('stopinsert')
      step('ghost text')
      done()
    end)
  end)
end

local function run()
  local plugin = assert(os.getenv('VEIL_PLUGIN'), 'VEIL_PLUGIN not set')
  local bin = assert(os.getenv('VEIL_BIN'), 'VEIL_BIN not set')
  local work = assert(os.getenv('VEIL_WORKDIR'), 'VEIL_WORKDIR not set')
  local timeout = tonumber(os.getenv('VEIL_TIMEOUT_MS') or '20000')

  result.nvim = vim.version()
  vim.opt.runtimepath:prepend(plugin)
  vim.opt.swapfile = false
  -- -u NONE skips the defaults a user's Neovim has; filetype detection is
  -- one of them, and 0.11+'s vim.lsp.enable attaches on FileType.
  vim.cmd('filetype on')

  -- Record what the user would see as notifications.
  result.notifications = {}
  vim.notify = function(msg, level)
    table.insert(result.notifications, { msg = msg, level = level or vim.log.levels.INFO })
  end

  local veil = require('veil')
  veil.setup({ cmd = { bin, 'lsp' } })
  step('setup')

  -- 1. A normal source file: attach, route local, one AI completion item.
  vim.cmd('edit ' .. vim.fn.fnameescape(work .. '/main.py'))
  local src = vim.api.nvim_get_current_buf()
  local attached = vim.wait(timeout, function()
    local c = veil.client(src)
    return c ~= nil and c.initialized == true
  end, 20)
  result.attached = attached
  if not attached then
    error('veil did not attach to main.py')
  end
  step('attached')

  result.src_status_ok = vim.wait(timeout, function()
    return veil.status(src) ~= nil
  end, 20)
  result.src_route, result.src_reason = veil.status(src)
  result.src_buffer_var = vim.b[src].veil_route
  step('status')

  -- The position insert mode has at the end of the line after the one the
  -- test marked with "# complete here" (normal mode cannot put the cursor
  -- past the last character, so build the params as <C-x><C-o> would send).
  local lines = vim.api.nvim_buf_get_lines(src, 0, -1, false)
  local params
  for i, l in ipairs(lines) do
    if l:find('complete here', 1, true) then
      vim.api.nvim_win_set_cursor(0, { i + 1, 0 })
      params = { textDocument = { uri = vim.uri_from_bufnr(src) }, position = { line = i, character = #lines[i + 1] } }
      break
    end
  end
  local responses, err = vim.lsp.buf_request_sync(src, 'textDocument/completion', params, timeout)
  result.completion_error = err
  result.completion_items = {}
  for _, r in pairs(responses or {}) do
    if r.err then
      result.completion_error = r.err.message
    end
    local items = r.result and (r.result.items or r.result) or {}
    for _, it in ipairs(items) do
      local text = it.insertText or (it.textEdit and it.textEdit.newText) or it.label
      table.insert(result.completion_items, { label = it.label, text = text })
    end
  end
  step('completion')

  ghost = { src = src, row = params.position.line, line = lines[params.position.line + 1] }

  -- 2. :VeilChat on the current line; the reply lands in veil://chat.
  local done = false
  vim.api.nvim_create_autocmd('User', {
    pattern = 'VeilChatDone',
    once = true,
    callback = function()
      done = true
    end,
  })
  vim.cmd('VeilChat what does this line do?')
  result.chat_done = vim.wait(timeout, function()
    return done
  end, 20)
  local chat = vim.fn.bufnr('veil://chat')
  result.chat_text = chat > 0 and table.concat(vim.api.nvim_buf_get_lines(chat, 0, -1, false), '\n') or ''
  step('chat')

  -- 3. A .env file: route block and a warning diagnostic on open; the first
  -- completion request gets nothing and one warning notification.
  vim.cmd('edit ' .. vim.fn.fnameescape(work .. '/.env'))
  local env = vim.api.nvim_get_current_buf()
  vim.wait(timeout, function()
    return veil.client(env) ~= nil
  end, 20)
  result.env_attached = veil.client(env) ~= nil
  vim.wait(timeout, function()
    return veil.status(env) ~= nil
  end, 20)
  result.env_route, result.env_reason = veil.status(env)
  vim.wait(timeout, function()
    return #vim.diagnostic.get(env) > 0
  end, 20)
  result.env_diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(env)) do
    table.insert(result.env_diagnostics, { message = d.message, severity = d.severity, lnum = d.lnum })
  end
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  local env_resp = vim.lsp.buf_request_sync(env, 'textDocument/completion', vim.lsp.util.make_position_params(0, veil.client(env).offset_encoding), timeout)
  result.env_items = 0
  for _, r in pairs(env_resp or {}) do
    local items = r.result and (r.result.items or r.result) or {}
    result.env_items = result.env_items + #items
  end
  result.env_warned = vim.wait(timeout, function()
    for _, n in ipairs(result.notifications) do
      if n.level == vim.log.levels.WARN then
        return true
      end
    end
    return false
  end, 20)
  -- A second request must not warn again.
  vim.lsp.buf_request_sync(env, 'textDocument/completion', vim.lsp.util.make_position_params(0, veil.client(env).offset_encoding), timeout)
  result.statusline = veil.statusline()
  step('env')
end

local ok, err = pcall(run)
if not ok then
  result.error = tostring(err)
  finish(1)
elseif vim.lsp.inline_completion then
  ok, err = pcall(ghostText, tonumber(os.getenv('VEIL_TIMEOUT_MS') or '20000'), function()
    finish(0)
  end)
  if not ok then
    result.error = tostring(err)
    finish(1)
  end
else
  finish(0)
end
