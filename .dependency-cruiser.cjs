// Layering, checked by dependency-cruiser (`npx depcruise grammar/src server/src client/src`
// and test/unit/layering.test.ts). Imports flow one way:
//   grammar → model → validation → sim → batch → report (+ protocol.ts) → presentation
// and the presentation layers (cli, lsp, client) never import each other.
const LAYERS = [
  ['grammar/src', 0], ['server/src/model', 1], ['server/src/validation', 2], ['server/src/sim', 3],
  ['server/src/batch', 4], ['server/src/report', 5], ['server/src/protocol\\.ts', 5],
  ['server/src/cli', 6], ['server/src/lsp', 6], ['client/src', 6],
];
const PRESENTATION = LAYERS.filter(([, r]) => r === 6).map(([d]) => d);
const esc = (d) => `^${d}(/|$)`;

const forbidden = [];
for (const [dir, rank] of LAYERS) {
  const above = LAYERS.filter(([, r]) => r > rank).map(([d]) => d);
  if (above.length) forbidden.push({
    name: `${dir.replace(/\\/g, '')}-not-up`,
    comment: `${dir} may import only its own layer or the layers below it`,
    severity: 'error',
    from: { path: esc(dir) },
    to: { path: above.map(esc) },
  });
}
for (const dir of PRESENTATION) forbidden.push({
  name: `${dir}-not-sideways`,
  comment: 'presentation layers never import each other: what two need moves down',
  severity: 'error',
  from: { path: esc(dir) },
  to: { path: PRESENTATION.filter((d) => d !== dir).map(esc) },
});
forbidden.push({
  name: 'editor-free-core',
  comment: 'grammar, model, validation, sim, batch and report never import vscode or LSP types',
  severity: 'error',
  from: { path: LAYERS.filter(([, r]) => r < 6).map(([d]) => esc(d)) },
  to: { path: ['^vscode$', 'vscode-languageserver', 'vscode-languageclient'] },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.d\\.ts$' },
  },
};
