-- Headless Copilot-dialect driver: talks to veil the way copilot.lua and
-- copilot.vim talk to their server. Run by editors/copilot_test.go on
-- Neovim 0.7.2 and 0.12:
--
--   nvim --headless -u NONE -c 'luafile test/copilot_driver.lua'
--
-- Like copilot.lua it starts the server as `<wrapper> --stdio` through
-- Neovim's own LSP client with Neovim's default capabilities (0.12 offers
-- utf-8 positions first), sends editorInfo/editorPluginInfo, and computes
-- every Copilot position in UTF-16 itself, whatever was negotiated. It
-- applies answers as the plugins do (range + text in UTF-16) and records
-- what the user would see.
--
-- Environment: VEIL_WRAPPER (bin/veil-copilot), VEIL_WORKDIR (main.go and
-- .env), VEIL_RESULT (JSON result file), VEIL_TIMEOUT_MS.

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

local timeout = tonumber(os.getenv('VEIL_TIMEOUT_MS') or '20000')
local has_011 = vim.fn.has('nvim-0.11') == 1

-- utf16 counts UTF-16 code units in s, as copilot.lua and copilot.vim do
-- (a 4-byte UTF-8 sequence is a surrogate pair: two units).
local function utf16(s)
  local n = 0
  for i = 1, #s do
    local b = s:byte(i)
    if b >= 0xF0 then
      n = n + 2
    elseif b < 0x80 or b >= 0xC0 then
      n = n + 1
    end
  end
  return n
end

-- The notifications the plugins listen to, recorded in arrival order.
local seen = { status = {}, did_change_status = {}, log = {}, show = {}, panel = {}, panel_done = {} }
local function record(list)
  return function(_, r)
    table.insert(list, r)
  end
end
local handlers = {
  statusNotification = record(seen.status),
  didChangeStatus = record(seen.did_change_status),
  ['window/logMessage'] = record(seen.log),
  ['window/showMessage'] = record(seen.show),
  PanelSolution = record(seen.panel),
  PanelSolutionsDone = record(seen.panel_done),
  featureFlagsNotification = function() end,
}

local client
local function request(method, params, bufnr)
  local done, rerr, res = false, nil, nil
  local function cb(err, r)
    rerr, res, done = err, r, true
  end
  if has_011 then
    client:request(method, params, cb, bufnr)
  else
    client.request(method, params, cb, bufnr)
  end
  if not vim.wait(timeout, function()
    return done
  end, 10) then
    error(method .. ': no answer within ' .. timeout .. ' ms')
  end
  if rerr then
    -- Recorded, not fatal: the later steps still run and report.
    result.request_errors = result.request_errors or {}
    table.insert(result.request_errors, method .. ': ' .. tostring(rerr.message or rerr))
    return vim.empty_dict()
  end
  return res
end

-- doc_params builds getCompletions' params at (row, col-in-bytes) the way
-- copilot.lua's util.get_doc_params does.
local function doc_params(bufnr, row, col, extra)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  local uri = vim.uri_from_bufnr(bufnr)
  local pos = { line = row, character = utf16(line:sub(1, col)) }
  local version = vim.api.nvim_buf_get_var(bufnr, 'changedtick')
  local rel = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':t')
  local p = {
    doc = {
      uri = uri,
      version = version,
      relativePath = rel,
      insertSpaces = false,
      tabSize = 4,
      indentSize = 4,
      position = pos,
    },
    textDocument = { uri = uri, version = version, relativePath = rel },
    position = pos,
  }
  for k, v in pairs(extra or {}) do
    p[k] = v
  end
  return p
end

-- find returns the 0-based row of the last line matching the Lua pattern.
local function find(bufnr, pattern)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for i = #lines, 1, -1 do
    if lines[i]:find(pattern) then
      return i - 1, lines[i]
    end
  end
  error('no line matching ' .. pattern)
end

-- apply puts text over range (UTF-16 positions), returns the buffer's lines
-- from the range's first line, then restores the buffer.
local function apply(bufnr, range, text, nlines)
  local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  vim.lsp.util.apply_text_edits({ { range = range, newText = text } }, bufnr, 'utf-16')
  local got = vim.api.nvim_buf_get_lines(bufnr, range.start.line, range.start.line + nlines, false)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, before)
  return got
end

local function start(work, wrapper)
  vim.cmd('edit ' .. vim.fn.fnameescape(work .. '/main.go'))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = 'copilot',
    cmd = { wrapper, '--stdio' },
    root_dir = work,
    handlers = handlers,
    capabilities = vim.lsp.protocol.make_client_capabilities(),
    flags = { debounce_text_changes = 0 },
    init_options = {
      editorInfo = { name = 'Neovim', version = tostring(vim.version().major .. '.' .. vim.version().minor) },
      editorPluginInfo = { name = 'copilot.lua', version = 'driver' },
    },
    on_init = function(_, init)
      result.server_info = init.serverInfo
      result.position_encoding = init.capabilities.positionEncoding or 'utf-16'
      result.commands = (init.capabilities.executeCommandProvider or {}).commands
    end,
  })
  vim.lsp.buf_attach_client(buf, id)
  client = vim.lsp.get_client_by_id(id)
  if not vim.wait(timeout, function()
    return client.initialized == true
  end, 10) then
    error('veil did not initialize')
  end
  return buf, id
end

local function run()
  local wrapper = assert(os.getenv('VEIL_WRAPPER'), 'VEIL_WRAPPER not set')
  local work = assert(os.getenv('VEIL_WORKDIR'), 'VEIL_WORKDIR not set')
  result.nvim = vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch
  vim.opt.swapfile = false
  vim.opt.expandtab = false

  local buf, id = start(work, wrapper)
  step('initialized')
  result.check_status = request('checkStatus', { options = { localChecksOnly = true } })
  result.version = request('getVersion', {})
  local models = request('copilot/models', {})
  result.models = models[1] and models or {}
  step('status')

  -- 1. UTF-16 positions with an astral character, CJK and a combining mark
  -- before the cursor (the cursor at the end of the line, as in insert mode).
  local row, line = find(buf, '%+ fmt%.Sp$')
  local p = doc_params(buf, row, #line)
  result.sent_character = p.doc.position.character
  result.line_bytes = #line
  local res = request('getCompletions', p, buf)
  local c = res.completions and res.completions[1]
  result.inline = c
  if c then
    result.inline_applied = apply(buf, c.range, c.text, 1)
  end
  local cyc = request('getCompletionsCycling', p, buf)
  result.cycling = cyc.completions
  step('inline')

  -- 2. Multi-line: the cursor ends a block opener.
  row, line = find(buf, '^func twice%(a int%) int {$')
  p = doc_params(buf, row, #line)
  res = request('getCompletions', p, buf)
  c = res.completions and res.completions[1]
  result.block = c
  if c then
    result.block_applied = apply(buf, c.range, c.text, 4)
  end
  step('multiline')

  -- 3. The panel on an empty indented line, cursor at its end (copilot.lua
  -- puts the panel position at the end of the line).
  row = find(buf, 'fmt%.Sprint%(add%(1, 2%)%)$') + 1
  line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1]
  local panel_id = '1:copilot:///' .. vim.uri_from_bufnr(buf)
  p = doc_params(buf, row, #line, { panelId = panel_id })
  result.panel_answer = request('getPanelCompletions', p, buf)
  result.panel_done = vim.wait(timeout, function()
    return #seen.panel_done > 0
  end, 10)
  result.panel_solutions = seen.panel
  result.panel_done_params = seen.panel_done
  if seen.panel[1] then
    result.panel_applied = apply(buf, seen.panel[1].range, seen.panel[1].completionText, 3)
  end
  step('panel')

  -- 4. A blocked .env: no completion, and the notifications each plugin
  -- shows (statusNotification, didChangeStatus, window/logMessage), once.
  vim.cmd('edit ' .. vim.fn.fnameescape(work .. '/.env'))
  local env = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(env, id)
  local ep = doc_params(env, 0, 0)
  result.env_first = request('getCompletions', ep, env).completions
  result.env_warned = vim.wait(timeout, function()
    for _, s in ipairs(seen.status) do
      if s.status == 'Warning' then
        return true
      end
    end
    return false
  end, 10)
  result.env_second = request('getCompletions', ep, env).completions
  -- A request after the second one: every notification the second
  -- could have caused has arrived before its answer.
  request('checkStatus', {})
  result.status_notifications = seen.status
  result.did_change_status = seen.did_change_status
  result.log_messages = seen.log
  result.show_messages = seen.show
  step('env')
end

local ok, err = pcall(run)
if not ok then
  result.error = tostring(err)
end
finish(ok and 0 or 1)
