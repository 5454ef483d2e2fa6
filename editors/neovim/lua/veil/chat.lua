-- :VeilChat [question] — sends `veil/chat` with the selected lines (or the
-- current line) as a reference and shows the answer in the "veil://chat"
-- scratch buffer, streaming the $/progress chunks as they arrive.

local M = {}

local seq = 0

-- chat_buffer returns the scratch buffer, creating it and showing it in a
-- split when it is not visible.
local function chat_buffer()
  local bufnr = vim.fn.bufnr('veil://chat')
  if bufnr < 0 then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, 'veil://chat')
    vim.bo[bufnr].filetype = 'markdown'
    vim.bo[bufnr].bufhidden = 'hide'
  end
  if vim.fn.bufwinid(bufnr) == -1 then
    local cur = vim.api.nvim_get_current_win()
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, bufnr)
    vim.api.nvim_set_current_win(cur)
  end
  return bufnr
end

-- line_length returns the length of line in the client's position encoding.
local function line_length(line, encoding)
  if encoding == 'utf-8' then
    return #line
  end
  local ok, u32, u16
  if vim.fn.has('nvim-0.11') == 1 then
    ok, u16 = pcall(vim.str_utfindex, line, encoding == 'utf-32' and 'utf-32' or 'utf-16')
    return ok and u16 or #line
  end
  ok, u32, u16 = pcall(vim.str_utfindex, line)
  if not ok then
    return #line
  end
  return encoding == 'utf-32' and u32 or u16
end

-- answer renders one answer region in the chat buffer: lines from `first`
-- on hold `text`.
local function render(bufnr, first, text)
  vim.api.nvim_buf_set_lines(bufnr, first, -1, false, vim.split(text, '\n', { plain = true }))
end

-- run is the :VeilChat command. opts are the user-command args; state is
-- the plugin's state (config, progress sinks).
function M.run(opts, state)
  local veil = require('veil')
  local src = vim.api.nvim_get_current_buf()
  local client = veil.client(src)
  if client == nil then
    vim.notify('veil: not attached to this buffer', vim.log.levels.WARN)
    return
  end

  local line1, line2 = opts.line1, opts.line2
  if opts.range == 0 then
    line1 = vim.api.nvim_win_get_cursor(0)[1]
    line2 = line1
  end
  local last = vim.api.nvim_buf_get_lines(src, line2 - 1, line2, false)[1] or ''
  local range = {
    start = { line = line1 - 1, character = 0 },
    ['end'] = { line = line2 - 1, character = line_length(last, client.offset_encoding) },
  }
  local question = opts.args ~= '' and opts.args or state.config.chat_default_question

  seq = seq + 1
  local token = 'veil-chat-' .. seq
  local out = chat_buffer()
  local header = vim.api.nvim_buf_line_count(out)
  if header == 1 and vim.api.nvim_buf_get_lines(out, 0, 1, false)[1] == '' then
    header = 0
  end
  vim.api.nvim_buf_set_lines(out, header, -1, false, { '> ' .. question, '' })
  local first = header + 1
  local streamed = ''

  state.progress[token] = function(value)
    if type(value) ~= 'table' or type(value.message) ~= 'string' then
      return
    end
    -- Only reports carry reply text; begin has a title, end a status word.
    if value.kind == 'report' then
      streamed = streamed .. value.message
      render(out, first, streamed)
    end
  end

  local params = {
    message = question,
    references = { { uri = vim.uri_from_bufnr(src), range = range } },
    workDoneToken = token,
  }
  if state.chat_session then
    params.sessionId = state.chat_session
  end
  veil.request(client, 'veil/chat', params, function(err, result)
    state.progress[token] = nil
    if err ~= nil then
      render(out, first, streamed .. '\n[veil: ' .. (err.message or vim.inspect(err)) .. ']')
      return
    end
    if type(result) ~= 'table' or type(result.reply) ~= 'string' then
      render(out, first, streamed .. '\n[veil: malformed reply]')
      return
    end
    if type(result.sessionId) == 'string' and result.sessionId ~= '' then
      state.chat_session = result.sessionId
    end
    -- The final reply is authoritative; it replaces what was streamed.
    local text = result.reply
    if type(result.blocked) == 'string' and result.blocked ~= '' then
      text = text .. '\n[veil: blocked: ' .. result.blocked .. ']'
    end
    for _, s in ipairs(type(result.skipped) == 'table' and result.skipped or {}) do
      text = text .. '\n[veil: left out ' .. tostring(s) .. ']'
    end
    render(out, first, text)
    vim.api.nvim_buf_set_lines(out, -1, -1, false, { '' })
    vim.api.nvim_exec_autocmds('User', { pattern = 'VeilChatDone', modeline = false })
  end, src)
end

return M
