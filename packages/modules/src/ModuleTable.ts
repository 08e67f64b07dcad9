/**
 * The README's module table, made from the registry: `npm run modules:table` writes it between the README's
 * `modules` markers, and a test fails when the README and the registry disagree.
 */
import type { Module } from "./Module.js"

export const startMarker = "<!-- modules:start -->"
export const endMarker = "<!-- modules:end -->"

const key = (module: Module) => (module.source.requiresKey || module.flags.includes("needs-key") ? "required" : "—")

/** One row per module, sorted by id. */
export const table = (modules: ReadonlyArray<Module>): string =>
  [
    "| Module | Source | Input → output | Flags | Key |",
    "| --- | --- | --- | --- | --- |",
    ...[...modules].sort((a, b) => a.id.localeCompare(b.id)).map((module) =>
      `| \`${module.id}\` | ${module.source.name} | ${module.input_types.join(", ")} → ${
        module.output_types.join(", ")
      } | ${module.flags.join(", ")} | ${key(module)} |`
    )
  ].join("\n")

/** `readme` with its table replaced by `modules`' (the markers must be there). */
export const withTable = (readme: string, modules: ReadonlyArray<Module>): string => {
  const start = readme.indexOf(startMarker)
  const end = readme.indexOf(endMarker)
  if (start < 0 || end < start) throw new Error(`the README has no ${startMarker} … ${endMarker} section`)
  return `${readme.slice(0, start + startMarker.length)}\n${table(modules)}\n${readme.slice(end)}`
}
