/** The Chromium that the console's browser tests and the console bench drive: MIRAGE_CHROMIUM, else one on the PATH. */
import { Effect, Option } from "effect"
import { execFileSync } from "node:child_process"
import * as Settings from "./Settings.js"

const onPath = () =>
  execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser || echo /usr/bin/chromium"])
    .toString().trim()

export const executablePath = Effect.map(Settings.chromium, Option.getOrElse(onPath))
