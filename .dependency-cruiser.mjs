// The import graph's rules (`npm run lint` runs them): layers point down only and nothing imports in a cycle.
//
//   cli.ts → commands/ → render/ · server/ · ui/ · deploy/ → core/ (agent, multi-agent, agent files)
//                                                           → core/providers/ · core/tools/ · core/config.ts
//                                                           → core/ base (events, stream operators, async-queue, text/)
//
// src/index.ts is the library's surface: it may export the core and the server, never CLI internals.

const CORE_BASE = '^src/core/(events|stream|async-queue)\\.ts$|^src/core/text/';
const CORE_PROVIDERS_TOOLS = '^src/core/(providers|tools)/|^src/core/config\\.ts$';
const OUTPUTS = ['render', 'server', 'ui', 'deploy'];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other cannot be understood, tested or loaded lazily one at a time.',
      // ui/index ↔ ui/mount is the one known cycle; the live-rendering work removes it (then drop this pathNot).
      from: { pathNot: '^src/ui/(index|mount)\\.ts$' },
      to: { circular: true },
    },
    {
      name: 'core-imports-no-outer-layer',
      severity: 'error',
      comment: 'The core (agent loop, events, providers, tools) is the ground floor: it knows no output or command.',
      from: { path: '^src/core/' },
      to: { path: '^src/(render|server|ui|deploy|commands)/|^src/(cli|index)\\.ts$' },
    },
    {
      name: 'core-base-imports-nothing-above-it',
      severity: 'error',
      comment:
        'The event contract and its stream operators are what every layer imports: they import no other core part.',
      from: { path: CORE_BASE },
      to: { path: '^src/', pathNot: CORE_BASE },
    },
    {
      name: 'providers-and-tools-import-no-agent',
      severity: 'error',
      comment:
        'Providers, tools and the config resolver serve the agent loop; the loop imports them, not the other way.',
      from: { path: CORE_PROVIDERS_TOOLS },
      to: { path: '^src/core/', pathNot: `${CORE_BASE}|${CORE_PROVIDERS_TOOLS}` },
    },
    ...OUTPUTS.map((layer) => ({
      name: `${layer}-imports-no-sibling-or-command`,
      severity: 'error',
      comment: `${layer}/ is one consumer of the event stream: it imports the core only, never another output, a command or the CLI.`,
      from: { path: `^src/${layer}/` },
      to: {
        path: `^src/(${OUTPUTS.filter((l) => l !== layer).join('|')}|commands)/|^src/(cli|index)\\.ts$`,
      },
    })),
    {
      name: 'commands-import-no-cli',
      severity: 'error',
      comment: 'Types a command needs live beside the command; cli.ts is the top and nothing imports it.',
      from: { path: '^src/commands/' },
      to: { path: '^src/(cli|index)\\.ts$' },
    },
    {
      name: 'library-surface-exports-no-cli-internals',
      severity: 'error',
      comment: 'src/index.ts is the library: the agent, its stream, tools, providers and serve(); not the CLI.',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/(commands|ui|render|deploy)/|^src/cli\\.ts$' },
    },
    {
      name: 'only-the-ui-loads-ink-or-react',
      severity: 'error',
      comment:
        'Ink and React are for the interactive chat only: the library, serve and deploy bundles never load them.',
      from: { path: '^src/(core|server|render|deploy)/' },
      to: { path: '(^|/)node_modules/(ink|react|react-reconciler|ink-[^/]+)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle or an upward arrow through types is still one.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    exclude: { path: '^dist/' },
  },
};
