/** What every `mirage` command shares: the gateway's URL and key, `--json`, and how failures are printed. */
import { Options } from "@effect/cli"
import { Console, Data, Effect, Predicate } from "effect"
import type { Option, Redacted } from "effect"
import * as Client from "./Client.js"
import * as Output from "./Output.js"
import * as Settings from "./Settings.js"

/** A command failed; what went wrong was already printed. */
export class CliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string }> {}

export const common = {
  url: Options.text("url").pipe(
    Options.withDescription("The gateway's base URL (env MIRAGE_URL)"),
    Options.withFallbackConfig(Settings.url)
  ),
  key: Options.redacted("key").pipe(
    Options.withDescription("An API key, mk_… (env MIRAGE_API_KEY)"),
    Options.optional,
    Options.withFallbackConfig(Settings.apiKey)
  ),
  json: Output.jsonFlag
}

export interface Common {
  readonly url: string
  readonly key: Option.Option<Redacted.Redacted>
  readonly json: boolean
}

/** The title and detail of a problem answered by the gateway, else the failure's own message. */
export const describeFailure = (error: unknown): string => {
  if (Predicate.hasProperty(error, "title") && Predicate.hasProperty(error, "detail")) {
    const fields = Predicate.hasProperty(error, "errors") && Array.isArray(error.errors)
      ? error.errors.map((e: unknown) =>
        Predicate.hasProperty(e, "field") && Predicate.hasProperty(e, "message") ? `\n  ${e.field}: ${e.message}` : ""
      ).join("")
      : ""
    return `${String(error.title)}: ${String(error.detail)}${fields}`
  }
  if (Predicate.hasProperty(error, "_tag") && error._tag === "RequestError") {
    return `cannot reach the gateway: ${error instanceof Error ? error.message : String(error)}`
  }
  return error instanceof Error ? error.message : String(error)
}

/** Runs a command's work against the gateway; any failure is printed and becomes a CliFailure. */
export const withGateway = <A, E, R>(options: Common, work: Effect.Effect<A, E, R>) =>
  work.pipe(
    Effect.provide(Client.layer({ url: options.url, key: options.key })),
    Effect.catchAll((error) =>
      error instanceof CliFailure
        ? Effect.fail(error)
        : Effect.zipRight(
          Console.error(describeFailure(error)),
          Effect.fail(new CliFailure({ message: describeFailure(error) }))
        )
    )
  )
