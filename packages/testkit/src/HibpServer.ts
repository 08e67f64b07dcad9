/**
 * An HTTP server that answers like Have I Been Pwned's API v3
 * (`/api/v3/breachedaccount/{account}?truncateResponse=false`): the key in `hibp-api-key`, a
 * user agent required (403 without), 401 for a bad key, 404 with no body for an account in no
 * breach, 429 with Retry-After and HIBP's `{"statusCode":429,"message":…}` body.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** A breach in HIBP's model (PascalCase fields, as the API sends them). */
export interface Breach {
  readonly Name: string
  readonly Title: string
  readonly Domain: string
  readonly BreachDate: string
  readonly AddedDate: string
  readonly PwnCount: number
  readonly Description: string
  readonly DataClasses: ReadonlyArray<string>
  readonly IsVerified: boolean
  readonly IsSensitive: boolean
  readonly IsSpamList: boolean
}

export interface HibpOptions {
  readonly key: string
  /** Account (lower-case email) → names of the breaches it is in. */
  readonly accounts: Readonly<Record<string, ReadonlyArray<string>>>
}

const problem = (status: number, message: string, headers: Readonly<Record<string, string>> = {}) =>
  HttpFixture.json({ statusCode: status, message }, status, headers)

/** HIBP's 429 body; it comes with `retry-after` in seconds. */
export const rateLimitedBody = JSON.stringify({
  statusCode: 429,
  message: "Rate limit is exceeded. Try again in 6 seconds."
})

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  breaches: ReadonlyArray<Breach>,
  options: HibpOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://haveibeenpwned.com", (request) => {
    const match = /^\/api\/v3\/breachedaccount\/([^/]+)$/.exec(request.url.pathname)
    if (match === null) return { status: 404, body: "" }
    const agent = request.headers["user-agent"]
    if (agent === undefined || agent.trim() === "") {
      return HttpFixture.text("Forbidden - no user agent has been specified in the request.", 403)
    }
    const key = request.headers["hibp-api-key"]
    if (key !== options.key) {
      return problem(
        401,
        "Access denied due to missing hibp-api-key.".replace(
          "missing",
          key === undefined ? "missing" : "invalid"
        )
      )
    }
    const account = decodeURIComponent(match[1] ?? "").toLowerCase()
    const names = options.accounts[account] ?? []
    const found = breaches.filter((breach) => names.includes(breach.Name))
    if (found.length === 0) return { status: 404, body: "" }
    const truncate = request.url.searchParams.get("truncateResponse") !== "false"
    const unverified = request.url.searchParams.get("includeUnverified") !== "false"
    const listed = found.filter((breach) => unverified || breach.IsVerified)
    if (listed.length === 0) return { status: 404, body: "" }
    return HttpFixture.json(
      listed.map((breach) =>
        truncate ? { Name: breach.Name } : {
          ...breach,
          ModifiedDate: breach.AddedDate,
          IsFabricated: false,
          IsRetired: false,
          IsMalware: false,
          IsSubscriptionFree: false,
          LogoPath: `https://logos.haveibeenpwned.com/${breach.Name}.png`
        }
      )
    )
  })
