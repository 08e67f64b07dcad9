/**
 * What HackerTarget's text endpoints share: the one source (and its daily quota) of every
 * HackerTarget module, the optional `apikey`, and its refusals, written as a 200 line of text.
 */
import { Option } from "effect"
import type { HttpResponse } from "../HttpClient.js"
import { Auth } from "../kinds/Request.js"
import { AuthFailed, BadResponse, type ModuleError, RateLimited } from "../ModuleError.js"
import { hackertargetHostsearch } from "../modules/hackertarget_hostsearch.js"

export const hackertargetSource = hackertargetHostsearch.source
export const hackertargetAuth = Auth.query("apikey")

const dayMs = 86_400_000

/** The quota is daily and comes back at midnight UTC: how long until then by the answer's `Date`. */
const untilMidnight = (response: HttpResponse) => {
  const now = Date.parse(response.headers["date"] ?? "")
  return Number.isNaN(now) ? {} : { retryAfterMs: dayMs - (now % dayMs) }
}

/** `API count exceeded…` or `error …` instead of rows. */
export const hackertargetRefusal = (
  lines: ReadonlyArray<string>,
  response: HttpResponse
): Option.Option<ModuleError> => {
  const first = lines[0] ?? ""
  if (/^api count exceeded/i.test(first)) {
    return Option.some(new RateLimited({ reason: "hackertarget: API count exceeded", ...untilMidnight(response) }))
  }
  if (!/^error/i.test(first)) return Option.none()
  return Option.some(
    /api ?key/i.test(first)
      ? new AuthFailed({ reason: "hackertarget rejected the API key" })
      : new BadResponse({ reason: `hackertarget refused the query: ${first.slice(0, 120)}`, status: response.status })
  )
}

/** The answer's lines, or none for `No records found for …`. */
export const hackertargetLines = (lines: ReadonlyArray<string>): ReadonlyArray<string> =>
  /^no records found/i.test(lines[0] ?? "") ? [] : lines
