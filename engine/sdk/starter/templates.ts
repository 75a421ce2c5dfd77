/**
 * The files a new node package starts with, as text keyed by path. `sdkPath` is the folder
 * of the SDK it develops against (this checkout's `engine/sdk`): the SDK is not on the npm
 * registry, so its `npm install` takes it from there.
 */
export function starterFiles(options: {
  name: string;
  prefix: string;
  sdkVersion: string;
  sdkPath: string;
}): Record<string, string> {
  const { name, prefix, sdkVersion, sdkPath } = options;
  const type = `${prefix}.shout`;
  return {
    'package.json': `${JSON.stringify(
      {
        name,
        version: '1.0.0',
        description: `Waymark nodes: ${prefix}`,
        type: 'module',
        // The keyword Waymark's package installer requires (SDK.md "Installing a package").
        keywords: ['waymark', 'waymark-node-package'],
        main: './dist/index.js',
        types: './dist/index.d.ts',
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
        files: ['dist'],
        // `npm pack` builds first, so its tarball installs through POST /api/packages as is.
        scripts: {
          build: 'tsc -p tsconfig.json',
          test: 'vitest run',
          prepack: 'npm run build',
          prepublishOnly: 'npm test',
        },
        // The range is what Waymark checks at install; the dev copy is the checkout's SDK (not
        // on the registry). Neither goes into the tarball, so the package uses the SDK of the
        // Waymark that loads it.
        peerDependencies: { '@waymark/sdk': `^${sdkVersion}` },
        devDependencies: { '@waymark/sdk': `file:${sdkPath}`, typescript: '^5.9.3', vitest: '^5.1.1' },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          declaration: true,
          outDir: 'dist',
          rootDir: 'src',
          skipLibCheck: true,
        },
        include: ['src'],
        exclude: ['src/**/*.test.ts'],
      },
      null,
      2,
    )}\n`,
    '.gitignore': 'node_modules/\ndist/\n',
    'src/shout.ts': `import { defineNode } from '@waymark/sdk';

/** Upper-cases a text (a template: it may use {{ contact.email }}, {{ trigger.x }}, …). */
export const shout = defineNode({
  type: '${type}',
  version: 1,
  kind: 'action',
  title: 'Shout',
  description: 'Upper-cases a text and passes it on.',
  category: '${prefix}',
  summary: 'Shout {{ text }}',
  params: {
    type: 'object',
    properties: { text: { type: 'string', format: 'template', title: 'Text', minLength: 1 } },
    required: ['text'],
    additionalProperties: false,
  },
  outputs: ['out'],
  async run(ctx) {
    return { next: 'out', output: { shouted: ctx.params.text.toUpperCase() } };
  },
});
`,
    'src/index.ts': `import { definePackage } from '@waymark/sdk';
import { shout } from './shout.js';

export default definePackage({ name: '${name}', version: '1.0.0', nodes: [shout] });
`,
    'src/shout.test.ts': `import { runNode } from '@waymark/sdk/testing';
import { describe, expect, test } from 'vitest';
import { shout } from './shout.js';

describe('${type}', () => {
  test('upper-cases the rendered text and takes "out"', async () => {
    const { result } = await runNode(shout, {
      params: { text: 'hello {{ contact.attributes.firstName }}' },
      contact: { email: 'ada@example.com', attributes: { firstName: 'Ada' } },
    });
    expect(result).toEqual({ next: 'out', output: { shouted: 'HELLO ADA' } });
  });
});
`,
    'README.md': `# ${name}

Waymark nodes under the \`${prefix}.\` prefix.

| type | what it does |
| --- | --- |
| \`${type}\` v1 | upper-cases a text |

## Develop

\`\`\`sh
npm test          # runs the nodes with @waymark/sdk/testing's runNode
npm run build     # compiles to dist/
\`\`\`

## Use in Waymark

\`\`\`sh
npm pack                       # builds dist/ and writes ${name.replace('@', '').replace('/', '-')}-1.0.0.tgz
curl -H "Authorization: Bearer $TOKEN" -H 'content-type: application/gzip' \\
  --data-binary @${name.replace('@', '').replace('/', '-')}-1.0.0.tgz http://127.0.0.1:3000/api/packages
\`\`\`

or publish it to your npm registry and install it by name from the editor's Packages page
(\`POST /api/packages { "name": "${name}" }\`). Every Waymark process loads it within seconds.
Ship a changed node as a new version: published journeys keep the version they were
published with until you publish them again.
`,
  };
}
