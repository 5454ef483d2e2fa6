-- Neovim 0.7 headless driver for lspproxy's end-to-end test. Run as
--   nvim --headless -u NONE -c 'luafile nvim_driver.lua'
-- with VEIL_E2E_BIN, VEIL_E2E_CONFIG, VEIL_E2E_WS, VEIL_E2E_TYPED,
-- VEIL_E2E_PASSWORD and VEIL_E2E_OUT set. It opens main.go, types
-- VEIL_E2E_TYPED and then VEIL_E2E_PASSWORD one character at a time (one
-- didChange each, debounce off) asking for a completion after every
-- keystroke, asks for a completion on a fresh line, opens .env and asks
-- there, then writes what it saw as JSON to VEIL_E2E_OUT and quits.

local out = { messages = {}, logs = {}, typed_requests = 0, errors = {} }
local outfile = os.getenv('VEIL_E2E_OUT')

local function finish()
  local f = io.open(outfile, 'w')
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd('qa!')
end

local function fail(msg)
  table.insert(out.errors, msg)
  finish()
end

local ws = os.getenv('VEIL_E2E_WS')
local client_id = vim.lsp.start_client({
  name = 'veil',
  cmd = { os.getenv('VEIL_E2E_BIN'), 'lsp', '--config', os.getenv('VEIL_E2E_CONFIG'), '--log-level', 'debug' },
  root_dir = ws,
  flags = { debounce_text_changes = 0 },
  handlers = {
    ['window/showMessage'] = function(_, result)
      table.insert(out.messages, result.message)
    end,
    ['window/logMessage'] = function(_, result)
      table.insert(out.logs, result.message)
    end,
  },
})
if not client_id then
  return fail('start_client failed')
end

local function attach(path)
  vim.cmd('edit ' .. path)
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)
  return buf
end

local function completion(buf, line, col)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = col },
    context = { triggerKind = 1 },
  }
  local res, err = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, 10000)
  if not res then
    table.insert(out.errors, 'completion: ' .. tostring(err))
    return nil
  end
  local r = res[client_id]
  if not r then
    table.insert(out.errors, 'completion: no answer from veil')
    return nil
  end
  if r.err then
    table.insert(out.errors, 'completion: ' .. vim.inspect(r.err))
    return nil
  end
  return r.result
end

local buf = attach(ws .. '/main.go')
if not vim.wait(10000, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c ~= nil and c.initialized
end, 20) then
  return fail('veil did not initialize')
end

-- Type the secret into a new line at the end of the file.
local last = vim.api.nvim_buf_line_count(buf)
vim.api.nvim_buf_set_lines(buf, last, last, false, { 'const deployToken = "' })
local row = last
local col = #'const deployToken = "'
local typed = os.getenv('VEIL_E2E_TYPED')
for i = 1, #typed do
  local ch = typed:sub(i, i)
  vim.api.nvim_buf_set_text(buf, row, col, row, col, { ch })
  col = col + 1
  completion(buf, row, col)
  out.typed_requests = out.typed_requests + 1
end
vim.api.nvim_buf_set_text(buf, row, col, row, col, { '"' })

-- Type a human password the detector need not recognise, the way Neovim's
-- defaults leave it: no auto-closed quote.
last = vim.api.nvim_buf_line_count(buf)
vim.api.nvim_buf_set_lines(buf, last, last, false, { 'var dbPassword = "' })
row = last
col = #'var dbPassword = "'
local password = os.getenv('VEIL_E2E_PASSWORD')
for i = 1, #password do
  vim.api.nvim_buf_set_text(buf, row, col, row, col, { password:sub(i, i) })
  col = col + 1
  completion(buf, row, col)
  out.typed_requests = out.typed_requests + 1
end
vim.api.nvim_buf_set_text(buf, row, col, row, col, { '"' })

-- A fresh line: the model echoes the codename's token, veil restores it.
vim.api.nvim_buf_set_lines(buf, row + 1, row + 1, false, { 'var client = ' })
out.completion = completion(buf, row + 1, #'var client = ')
out.main_text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')

-- The .env: blocked, the editor gets an empty answer and a message.
local env = attach(ws .. '/.env')
out.env_completion = completion(env, 1, 3)
vim.wait(5000, function()
  for _, m in ipairs(out.messages) do
    if m:find('.env', 1, true) then
      return true
    end
  end
  return false
end, 20)
finish()
