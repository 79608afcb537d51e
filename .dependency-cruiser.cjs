// The import layering of ARCHITECTURE.md ("Layers and folders"), checked by `npm run lint`
// (`npx depcruise src` alone runs just this). Folders under src/: shared → domain → subsystems →
// entry points (server, cli, testing); the sandbox imports nothing of the host; no import cycles.
const ENTRY = '^src/(server|cli|testing)/';
const TEST = '\\.test\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make load order matter and layers meaningless: move what both sides need into a third module.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'shared-imports-no-src',
      comment: 'src/shared is the bottom layer: node builtins and npm packages only.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'domain-imports-only-shared',
      comment: 'src/domain (plain types) may build on src/shared only.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/(domain|shared)/' },
    },
    {
      name: 'no-entry-point-imports',
      comment: 'Only entry points (src/server, src/cli, src/testing) pick implementations; nothing below them imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: ENTRY },
      to: { path: ENTRY },
    },
    {
      name: 'sandbox-is-self-contained',
      comment:
        'src/sandbox runs inside each instance process: node builtins and its own files only, no npm packages, nothing of the host. ' +
        'The one exception is the public handler types (src/types/events.ts, itself import-free), imported as types only.',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { pathNot: ['^src/sandbox/', '^src/types/events\\.ts$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'isolation-builds-on-the-confinement-port',
      comment:
        "src/isolation (bubblewrap, cgroups, uid ranges) implements the runtime's Confinement port and uses shared code only; " + 'the composition root wires it, so the runtime never imports it.',
      severity: 'error',
      from: { path: '^src/isolation/' },
      to: { path: '^src/', pathNot: ['^src/(isolation|shared|domain)/', '^src/runtime/confinement\\.ts$'] },
    },
    {
      name: 'runtime-does-not-know-isolation',
      comment: "SandboxProcess talks to the Confinement port (src/runtime/confinement.ts); which implementation runs is the composition root's choice.",
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/isolation/' },
    },
    {
      name: 'types-are-type-only',
      comment: 'src/types is the `nimbus/types` declaration entry: import it with `import type` only.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/types/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'types-import-nothing',
      comment: 'src/types/*.ts must stand alone, so its emitted .d.ts does (tests may import what they test).',
      severity: 'error',
      from: { path: '^src/types/', pathNot: TEST },
      to: {},
    },
    {
      name: 'network-only-from-entry-points-and-manifest',
      comment:
        'src/network runs privileged host tools (ip, nft, nsenter): only entry points wire it (into the runtime through its prepare hook), ' +
        'and the manifest imports its pure entry grammar (policy.ts) through index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(network|server|cli|manifest)/'] },
      to: { path: '^src/network/' },
    },
    {
      name: 'src-not-to-tests-or-bench',
      comment: 'test/ and bench/ use src/, never the other way round.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count too: they are edges of the layering as much as runtime imports.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
