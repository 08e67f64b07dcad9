/** `mirage config`: the effective value of every Mirage setting in this environment, secrets redacted. */
import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import * as Output from "./Output.js"
import * as SettingsCatalog from "./SettingsCatalog.js"

export const config = Command.make("config", {
  json: Output.jsonFlag
}, (input) =>
  Effect.gen(function*() {
    const values = yield* SettingsCatalog.effective
    if (input.json) return yield* Console.log(JSON.stringify(values, null, 2))
    yield* Console.log(Output.table(
      ["VARIABLE", "AREA", "VALUE", "FROM"],
      values.map((setting) => [setting.name, setting.area, setting.value, setting.origin])
    ))
  })).pipe(
    Command.withDescription(
      "The effective value of every Mirage setting in this environment (set or default), secrets redacted"
    )
  )
