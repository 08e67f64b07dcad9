/**
 * The ways a module can fail. The runtime classifies them: SourceUnavailable and RateLimited are
 * worth retrying, AuthFailed, BadResponse and ModuleConfigError are not.
 */
import { Data } from "effect"

/** The source could not be reached or answered 5xx/SERVFAIL: try again later. */
export class SourceUnavailable extends Data.TaggedError("SourceUnavailable")<{
  readonly reason: string
  readonly status?: number
  /** From a `Retry-After` on a 503, when the source said when to come back. */
  readonly retryAfterMs?: number
  readonly cause?: unknown
}> {
  override get message() {
    return this.reason
  }
}

/** The source refused because of its rate limit or quota (HTTP 429). */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly reason: string
  /** How long the source asked us to wait, from `Retry-After`. */
  readonly retryAfterMs?: number
}> {
  override get message() {
    return this.retryAfterMs === undefined ? this.reason : `${this.reason} (retry after ${this.retryAfterMs} ms)`
  }
}

/** The source rejected the credentials (HTTP 401/403, bad or missing key). */
export class AuthFailed extends Data.TaggedError("AuthFailed")<{
  readonly reason: string
  readonly status?: number
}> {
  override get message() {
    return this.reason
  }
}

/** The source answered something the module cannot read: retrying will not help. */
export class BadResponse extends Data.TaggedError("BadResponse")<{
  readonly reason: string
  readonly status?: number
  readonly cause?: unknown
}> {
  override get message() {
    return this.reason
  }
}

/** The module's configuration (or the endpoints and target it was given) is wrong. */
export class ModuleConfigError extends Data.TaggedError("ModuleConfigError")<{
  readonly module: string
  readonly reason: string
}> {
  override get message() {
    return `module ${this.module}: ${this.reason}`
  }
}

export type ModuleError = SourceUnavailable | RateLimited | AuthFailed | BadResponse | ModuleConfigError

/** Whether trying the same call again later may succeed. */
export const isRetryable = (error: ModuleError): boolean =>
  error._tag === "SourceUnavailable" || error._tag === "RateLimited"
