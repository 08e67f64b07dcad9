/**
 * email_format: email addresses of a domain listed by email-format.com, whose public page
 * `GET {base}/d/{domain}/` shows a company's address format with example addresses in
 * `<div class="fl">` blocks (sometimes Cloudflare-obfuscated as `data-cfemail`), read through the
 * HTML parser. Only addresses at the domain (or below it) are reported.
 */
import { Array as Arr, Effect, Option, Ref, Schema } from "effect"
import * as Html from "../Html.js"
import { uniqueBy } from "../internal/Unique.js"
import { defineModule, endpoint, expectOk, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

export const EmailFormatConfig = Schema.Struct({
  /** Also report addresses from the whole page, not only the listing blocks. */
  whole_page: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
})
export type EmailFormatConfig = typeof EmailFormatConfig.Type

/** Cloudflare's email obfuscation: the first byte is the key, every following byte XORed with it. */
export const decodeCfEmail = (hex: string): Option.Option<string> => {
  // An address is at most 254 characters: anything longer is not one (and would not fit in one call's arguments).
  if (hex.length > 2 * 255 || !/^(?:[0-9a-f]{2}){2,}$/i.test(hex)) return Option.none()
  const bytes = hex.match(/../g)!.map((pair) => parseInt(pair, 16))
  const [key = 0, ...rest] = bytes
  return Option.some(String.fromCharCode(...rest.map((byte) => byte ^ key)))
}

const emailPattern = /[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi

/** The addresses shown in `html` (its `<div class="fl">` listing blocks, or the whole page), obfuscated ones decoded. */
export const pageEmails = (html: string, wholePage: boolean): ReadonlyArray<string> => {
  const document = Html.parse(html)
  const parts: ReadonlyArray<Html.Element | Html.Document> = wholePage ? [document] : Html.select(document, "div.fl")
  const found: Array<string> = []
  for (const part of parts) {
    for (const hidden of Html.select(part, "[data-cfemail]")) {
      Option.map(decodeCfEmail(Html.attribute(hidden, "data-cfemail") ?? ""), (email) => found.push(email))
    }
    found.push(...(Html.visibleText(part).match(emailPattern) ?? []))
  }
  return found
}

export const emailFormat = defineModule({
  name: "email_format",
  description: "Finds email addresses of a domain listed on email-format.com",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["EMAIL"],
  flags: ["passive", "safe"],
  configSchema: EmailFormatConfig,
  default_config: { whole_page: false },
  source: {
    id: "email_format",
    name: "email-format.com",
    baseUrl: "https://www.email-format.com",
    // A free public website: be gentle.
    rateLimit: { requests: 1, perSeconds: 2, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "email_format", "email_format")
      const queries = yield* Ref.make(0)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(queries), (count) => ctx.log("email_format session closed", { queries: count }))
      )
      return { config, base, http: ctx.http, log: ctx.log, queries }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("email_format", task, "DOMAIN")
      yield* Ref.update(session.queries, (n) => n + 1)
      const response = yield* session.http.get(`${session.base}/d/${encodeURIComponent(domain)}/`, {
        headers: { accept: "text/html" }
      })
      // The site answers 404 for a domain it knows nothing about.
      if (response.status === 404) return []
      const page = yield* expectOk(response)
      const findings = Arr.filterMap(pageEmails(page.body, session.config.whole_page), (email) =>
        Option.filter(
          finding("EMAIL", email, {
            confidence: 0.6,
            source_data: { page: `${session.base}/d/${domain}/` },
            metadata: { source: "email-format.com" }
          }),
          (found: Finding) => inScope(found.value.slice(found.value.lastIndexOf("@") + 1), domain)
        ))
      const unique = uniqueBy(findings, (found) => found.value)
      yield* session.log("email_format answered", { domain, emails: unique.length })
      return unique
    })
})
