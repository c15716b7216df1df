-- Neovim 0.7 (Debian's) as an LSP client of the bundled vmsec server, with
-- nothing but the built-in client: open a .vmsec file, wait for its
-- diagnostics, refresh code lenses, run one scenario through its "▶ Run"
-- lens with workspace/executeCommand, wait for the failed-expectation
-- diagnostics (source "vmsec run"), and write what was seen as JSON.
--
--   VMSEC_NVIM_SERVER=dist/server.js VMSEC_NVIM_FILE=/tmp/x/a.vmsec \
--   VMSEC_NVIM_SCENARIO='small failing' VMSEC_NVIM_OUT=/tmp/x/seen.json \
--   nvim --headless -n -i NONE -u test/nvim/init.lua
--
-- Every wait has a deadline; whatever happens, the JSON is written (with
-- `error` set when a step failed) and Neovim exits.
local env = vim.env
local server, file, scenario, out = env.VMSEC_NVIM_SERVER, env.VMSEC_NVIM_FILE, env.VMSEC_NVIM_SCENARIO, env.VMSEC_NVIM_OUT
local deadline_ms = tonumber(env.VMSEC_NVIM_DEADLINE_MS or '') or 30000

local seen = { nvim = tostring(vim.version().major) .. '.' .. vim.version().minor .. '.' .. vim.version().patch, steps = {} }

local function step(name) table.insert(seen.steps, name) end

local function finish(err)
  if err then
    seen.error = tostring(err)
    -- No server left behind when a step failed half-way.
    for _, c in ipairs(vim.lsp.get_active_clients()) do c.stop(true) end
  end
  local f = io.open(out, 'w')
  if f then f:write(vim.fn.json_encode(seen)); f:close() end
  vim.cmd(err and 'cquit 1' or 'qall!')
end

local function wait_for(what, cond)
  if not vim.wait(deadline_ms, cond, 20) then error('timed out after ' .. deadline_ms .. ' ms waiting for ' .. what) end
end

local function diagnostics(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(list, { line = d.lnum, col = d.col, message = d.message, source = d.source or vim.NIL, severity = d.severity })
  end
  return list
end

local function main()
  assert(server and file and scenario and out, 'VMSEC_NVIM_SERVER, VMSEC_NVIM_FILE, VMSEC_NVIM_SCENARIO and VMSEC_NVIM_OUT must be set')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'vmsec'

  local published = 0
  local client_id = vim.lsp.start_client({
    name = 'vmsec',
    cmd = { 'node', server, '--stdio' },
    root_dir = vim.fn.fnamemodify(file, ':h'),
    handlers = {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
        if result and result.uri == vim.uri_from_bufnr(bufnr) then published = published + 1 end
        return vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
      end,
    },
    on_exit = function(code) seen.server_exit = code end,
  })
  assert(client_id, 'vim.lsp.start_client failed')
  vim.lsp.buf_attach_client(bufnr, client_id)
  wait_for('the server to initialize', function() local c = vim.lsp.get_client_by_id(client_id); return c ~= nil and c.initialized end)
  step('initialized')

  wait_for('the first diagnostics', function() return published > 0 end)
  seen.diagnostics = diagnostics(bufnr)
  step('diagnostics')

  vim.lsp.codelens.refresh()
  wait_for('code lenses', function() return #vim.lsp.codelens.get(bufnr) > 0 end)
  seen.lenses = {}
  local run_lens
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr)) do
    local cmd = lens.command or {}
    table.insert(seen.lenses, { line = lens.range.start.line, title = cmd.title or vim.NIL, command = cmd.command or vim.NIL, arguments = cmd.arguments or vim.NIL })
    local arg = cmd.arguments and cmd.arguments[1]
    if cmd.title == '▶ Run' and type(arg) == 'table' and arg.scenario == scenario then run_lens = lens end
  end
  step('lenses')
  assert(run_lens, 'no "▶ Run" lens for scenario ' .. scenario)

  -- What a lens click does in Neovim (vim.lsp.codelens.run): the lens's command through the server.
  local client = vim.lsp.get_client_by_id(client_id)
  local answered = false
  client.request('workspace/executeCommand', { command = run_lens.command.command, arguments = run_lens.command.arguments }, function(err, result)
    answered = true
    seen.command_error = err and (err.message or tostring(err)) or vim.NIL
    seen.command_result = result == nil and vim.NIL or result
  end, bufnr)
  wait_for('the run command to answer', function() return answered end)
  step('ran')

  wait_for('diagnostics from the run', function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do if d.source == 'vmsec run' then return true end end
    return false
  end)
  seen.run_diagnostics = {}
  for _, d in ipairs(diagnostics(bufnr)) do if d.source == 'vmsec run' then table.insert(seen.run_diagnostics, d) end end
  step('run diagnostics')

  vim.lsp.stop_client(client_id)
  wait_for('the server to stop', function() return vim.lsp.get_client_by_id(client_id) == nil end)
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    vim.schedule(function()
      local ok, err = xpcall(main, debug.traceback)
      finish(not ok and err or nil)
    end)
  end,
})
