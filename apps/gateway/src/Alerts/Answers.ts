/** The answers the alerts handlers share: a thing not found, a thing deleted. */
import { HttpServerResponse } from "@effect/platform"
import { NotFound } from "@mirage/domain/api/Errors"
import { Effect, Option } from "effect"

export const found = <A>(what: string) => (option: Option.Option<A>) =>
  Option.match(option, {
    onNone: () => Effect.fail(new NotFound({ detail: `no ${what}` })),
    onSome: Effect.succeed
  })

/** 204 when there was such a thing to delete, else 404. */
export const removed = (what: string) => (deleted: boolean) =>
  deleted
    ? Effect.succeed(HttpServerResponse.empty({ status: 204 }))
    : Effect.fail(new NotFound({ detail: `no ${what}` }))
