// Lint and format (dprint through @effect/eslint-plugin) for every TypeScript file.
import effect from "@effect/eslint-plugin";
import tseslint from "typescript-eslint";

const fixtureWorld = {
  // All of the testkit but the development settings' declarations, which the settings catalog lists.
  regex: "^@mirage/testkit(?:$|/(?!Settings$))",
  message: "the fixture world belongs to tests, benches and apps/*/dev",
};
const moduleInternals = {
  group: ["@mirage/modules/*"],
  message: "the runtime reaches modules through collection/ModuleCatalog and the @mirage/modules entry",
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", ".mirage/**"] },
  ...tseslint.configs.recommended,
  ...effect.configs.dprint,
  {
    files: ["**/*.ts", "**/*.tsx"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/consistent-type-imports": "error",
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force",
        },
      }],
    },
  },
  {
    // The services' own code stays small enough to read: a file says one thing, a function does one thing.
    files: ["packages/runtime/src/**/*.ts", "apps/gateway/src/**/*.ts", "apps/node/src/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 120, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Production code never starts the fixture world: only tests, benches and the dev entries may.
    files: ["packages/*/src/**/*.ts", "apps/*/src/**/*.ts"],
    ignores: ["packages/testkit/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [fixtureWorld] }] },
  },
  {
    // The runtime reaches modules through ModuleCatalog and the module SDK's entry, never the registry or internals.
    files: ["packages/runtime/src/**/*.ts"],
    ignores: ["packages/runtime/src/collection/ModuleCatalog.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [fixtureWorld, moduleInternals] }] },
  },
);
