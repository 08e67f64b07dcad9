/** `npm run modules:table`: writes the README's module table from the registry. */
import { withTable } from "@mirage/modules/ModuleTable"
import { modules } from "@mirage/modules/Registry"
import { readFileSync, writeFileSync } from "node:fs"

const path = new URL("../README.md", import.meta.url)
writeFileSync(path, withTable(readFileSync(path, "utf8"), modules))
console.log(`modules:table: ${modules.length} modules in README.md`)
