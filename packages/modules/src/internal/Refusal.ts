/**
 * A refusal a source wrote in a 200 answer (`{"success": false, "error": "…"}`) as the module error
 * its words mean: a spent quota is RateLimited (another key may have some left), a key problem
 * AuthFailed, anything else BadResponse. Sources word these freely, so it is read by keywords.
 */
import { AuthFailed, BadResponse, type ModuleError, RateLimited } from "../ModuleError.js"

export const refusedWith = (source: string, message: string): ModuleError => {
  const reason = `${source} refused: ${message.slice(0, 200)}`
  if (/quota|credit|limit|too many/i.test(message)) return new RateLimited({ reason })
  if (/key|unauthori[sz]ed|credential|forbidden|access denied/i.test(message)) return new AuthFailed({ reason })
  return new BadResponse({ reason })
}
