/**
 * Entity tags of versioned resources (a scan's log seq, a template's revision) and the `If-Match` precondition:
 * strong comparison (RFC 9110 §13.1.1), so a weak tag or another version never matches.
 */
import { PreconditionFailed } from "@mirage/domain/api/Errors"
import { Effect } from "effect"

export const etag = (version: number): string => `"${version}"`

/**
 * The version `If-Match` asks for: none without the header or with `*` (any current version), the number of a
 * strong tag of ours, and a 412 for a tag that can never match (weak, or not one of ours).
 */
export const expectedVersion = (ifMatch: string | undefined): Effect.Effect<number | undefined, PreconditionFailed> => {
  if (ifMatch === undefined || ifMatch === "*") return Effect.succeed(undefined)
  const match = /^"(\d{1,15})"$/.exec(ifMatch)
  return match === null
    ? Effect.fail(new PreconditionFailed({ detail: `If-Match ${ifMatch} names no version of this resource` }))
    : Effect.succeed(Number(match[1]))
}
