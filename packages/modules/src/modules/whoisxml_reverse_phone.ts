/**
 * whoisxml_reverse_phone: the domains whose current WHOIS records carry a phone number, from WhoisXML
 * API's Reverse WHOIS v2 (`POST {base}/api/v2`, a JSON body with the key in `apiKey`,
 * `searchType: "current"`, `mode: "purchase"` and the number's digits in `basicSearchTerms.include`). The
 * answer is `{nextPageSearchAfter, domainsCount, domainsList}`; while `nextPageSearchAfter` is set the
 * next page is the same body with `searchAfter`. The domains are leads, not the target's names: no
 * scope applies. The key travels in the body only, so it is never in a URL or a log.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { canonicalTarget, headerFields, maxPagesField } from "../kinds/PagedApi.js"
import { openSession, requireKey, type SourceSession } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, expectOk, type Finding, finding } from "../Module.js"
import { whoisxmlSource } from "./whoisxml_subdomains.js"

/** The Subdomains Lookup's account, limits and key, on the Reverse WHOIS host. */
export const reverseWhoisSource = {
  ...whoisxmlSource,
  id: "whoisxml_reverse",
  name: "WhoisXML API Reverse WHOIS",
  baseUrl: "https://reverse-whois.whoisxmlapi.com"
} as const

export const ReverseWhoisConfig = Schema.Struct({
  /** Pages fetched at most; each page in purchase mode spends a credit. */
  max_pages: maxPagesField(2, 20)
})
type ReverseWhoisConfig = typeof ReverseWhoisConfig.Type

export const ReverseWhoisPage = Schema.Struct({
  nextPageSearchAfter: Schema.optionalWith(Schema.NullOr(Rows.Stringish), { exact: true }),
  domainsCount: Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true }),
  domainsList: Schema.Array(Schema.Unknown)
})

const askPage = (session: SourceSession<ReverseWhoisConfig>, phone: string, after: Option.Option<string>) =>
  Effect.gen(function*() {
    const key = Option.match(session.key, { onNone: () => "", onSome: Redacted.value })
    const response = yield* session.http.post(`${session.base}/api/v2`, {
      body: JSON.stringify({
        apiKey: key,
        searchType: "current",
        mode: "purchase",
        punycode: true,
        basicSearchTerms: { include: [phone] },
        ...Option.match(after, { onNone: () => ({}), onSome: (searchAfter) => ({ searchAfter }) })
      }),
      contentType: "application/json",
      headers: { accept: "application/json" }
    }).pipe(Effect.flatMap(expectOk))
    const body = yield* Effect.mapError(
      Schema.decodeUnknown(Schema.parseJson())(response.body),
      (error) => new BadResponse({ reason: `unreadable answer: ${Rows.firstIssue(error)}`, status: response.status })
    )
    return yield* Effect.mapError(
      Schema.decodeUnknown(ReverseWhoisPage)(body),
      (error) => new BadResponse({ reason: `the answer has no domainsList: ${Rows.firstIssue(error)}` })
    )
  })

export const domainFindings = (names: ReadonlyArray<unknown>, phone: string): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  for (const name of names) {
    if (typeof name !== "string") continue
    for (
      const one of Option.toArray(finding("DOMAIN", name, {
        confidence: 0.6,
        metadata: { phone, role: "registered with the phone number" }
      }))
    ) {
      if (!found.has(one.value)) found.set(one.value, one)
    }
  }
  return [...found.values()]
}

export const whoisxmlReversePhone = defineModule({
  ...headerFields({
    name: "whoisxml_reverse_phone",
    title: "WhoisXML API Reverse WHOIS by phone",
    description: "Finds the domains whose WHOIS records carry a phone number with WhoisXML API's Reverse WHOIS",
    flags: ["passive", "safe"],
    config: ReverseWhoisConfig,
    input_types: ["PHONE"],
    output_types: ["DOMAIN"]
  }),
  source: reverseWhoisSource,
  setup: openSession<ReverseWhoisConfig>("whoisxml_reverse_phone", reverseWhoisSource),
  collect: (session, task) =>
    Effect.gen(function*() {
      yield* requireKey(session, reverseWhoisSource)
      const target = yield* canonicalTarget("whoisxml_reverse_phone", task)
      const names: Array<unknown> = []
      let after = Option.none<string>()
      for (let index = 0; index < session.config.max_pages; index++) {
        const page = yield* Effect.either(askPage(session, target.value.replace(/\D/g, ""), after))
        if (page._tag === "Left") {
          if (index === 0) return yield* Effect.fail(page.left)
          yield* session.notes.warn(`page ${index + 1} failed, ${names.length} domains of earlier pages kept`)
          break
        }
        names.push(...page.right.domainsList)
        const next = page.right.nextPageSearchAfter
        after = next === undefined || next === null || next === "" ? Option.none() : Option.some(String(next))
        if (Option.isNone(after)) break
        if (index === session.config.max_pages - 1) {
          yield* session.notes.warn(`stopped after ${session.config.max_pages} pages (max_pages); the source had more`)
        }
      }
      const skipped = names.filter((name) => typeof name !== "string").length
      if (skipped > 0) yield* session.notes.skipped("a domainsList entry is not a name", skipped)
      const findings = domainFindings(names, target.value)
      yield* session.log("whoisxml_reverse_phone answered", { domains: names.length, findings: findings.length })
      return findings
    })
})
