// Loaded with `node --require` by cold-start.test.ts: at exit, writes to
// $VMSEC_LOAD_RECORD which built-in modules the process loaded and which
// files it compiled through vm.Script (how the CLI loads a command bundle).
const vm = require('node:vm');
const { writeFileSync } = require('node:fs');
const scripts = [];
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(code, options) {
    super(code, options);
    scripts.push({ file: typeof options === 'string' ? options : options?.filename, cacheRejected: this.cachedDataRejected });
  }
};
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  writeFileSync(process.env.VMSEC_LOAD_RECORD, JSON.stringify({ builtins, scripts, required: Object.keys(require.cache) }));
});
