// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off', // test helpers parse arbitrary JSON
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    // The domain reaches adapters only through its ports (libs/domain/src/ports), bound in the adapters' own modules.
    // Entities are the domain's record types: `import type` of them stays (nothing of TypeORM runs from it).
    files: ['libs/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@app/persistence(/.*)?$',
              allowTypeImports: true,
              message:
                'the domain reads and writes through the repository ports (libs/domain/src/ports); only `import type` of entities',
            },
            {
              regex: '^@app/(storage|hosts|security)(/.*)?$',
              message:
                'the domain reaches storage, hosts and crypto through ports (libs/domain/src/ports), bound in their modules',
            },
            {
              regex: '^(\\.\\./)+(libs/)?(persistence|storage|hosts|security|jobs|config)/src(/|$)',
              message: 'no relative import into another library: use its @app/… name (and a port for adapters)',
            },
            {
              regex: '^(\\.\\./)+(apps/)?(api|worker|console)/src(/|$)',
              message: 'the domain does not import the apps',
            },
          ],
        },
      ],
    },
  },
  {
    // Apps go through the domain's use cases and ports; only their composition roots (modules, main.ts) wire adapters.
    files: ['apps/**/*.{ts,tsx}'],
    ignores: ['apps/*/src/**/*.module.ts', 'apps/*/src/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@app/(persistence|storage|hosts|security)(/.*)?$',
              allowTypeImports: true,
              message: 'apps reach adapters through the domain (use cases, ports); only modules and main.ts bind them',
            },
            { regex: '^(\\.\\./)+(libs/)', message: 'import a library by its @app/… name' },
            { regex: '^(\\.\\./)+(api|worker)/src(/|$)', message: 'an app does not import another app' },
          ],
        },
      ],
    },
  },
);
