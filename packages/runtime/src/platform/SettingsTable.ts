/** The README's configuration table, rendered from the declared settings (`npm run settings:table`). */
import type { Declaration } from "./Setting.js"

export const startMarker = "<!-- settings:start -->"
export const endMarker = "<!-- settings:end -->"

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

export const table = (declarations: ReadonlyArray<Declaration>): string =>
  [
    "| Variable | Area | Default | Meaning |",
    "| --- | --- | --- | --- |",
    ...declarations.map((d) =>
      `| \`${d.name}\` | ${d.area} | ${cell(d.shownDefault)} | ${cell(d.description)}${d.secret ? " (secret)" : ""} |`
    )
  ].join("\n")

/** The document with the text between its markers replaced by the table. */
export const withTable = (document: string, declarations: ReadonlyArray<Declaration>): string => {
  const start = document.indexOf(startMarker)
  const end = document.indexOf(endMarker)
  if (start < 0 || end < start) throw new Error(`the document has no ${startMarker} … ${endMarker} section`)
  return `${document.slice(0, start + startMarker.length)}\n${table(declarations)}\n${document.slice(end)}`
}
