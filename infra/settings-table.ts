/** `npm run settings:table`: writes the README's configuration table from the declared settings. */
import { declarations } from "@mirage/cli/SettingsCatalog"
import { withTable } from "@mirage/runtime/platform/SettingsTable"
import { readFileSync, writeFileSync } from "node:fs"

const path = new URL("../README.md", import.meta.url)
writeFileSync(path, withTable(readFileSync(path, "utf8"), declarations()))
console.log(`settings:table: ${declarations().length} settings in README.md`)
