/**
 * hibp_pastes: the pastes Have I Been Pwned has seen an email address in (`GET {base}/api/v3/pasteaccount/{email}`,
 * key in `hibp-api-key`, a user agent required; 404 is none): `[{"Source": "Pastebin", "Id": "8Q0BvKD8", "Title",
 * "Date", "EmailCount"}]`. A paste on a site whose paste URLs are known (or an `AdHocUrl`, whose Id is the URL) is a
 * URL; one opted out of or on an unknown site is counted, not reported.
 */
import { Option, Schema } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"
import { hibpHeaders } from "./hibp_breach.js"

export const Paste = Schema.Struct({
  Source: Schema.String,
  Id: Schema.String,
  Title: Schema.optionalWith(Schema.String, { exact: true, nullable: true }),
  Date: Schema.optionalWith(Schema.String, { exact: true, nullable: true }),
  EmailCount: Schema.optionalWith(Schema.Number, { exact: true, nullable: true })
})
export type Paste = typeof Paste.Type

const pasteSites: Readonly<Record<string, (id: string) => string>> = {
  Pastebin: (id) => `https://pastebin.com/${id}`,
  Pastie: (id) => `http://pastie.org/pastes/${id}`,
  Slexy: (id) => `http://slexy.org/view/${id}`,
  Ghostbin: (id) => `https://ghostbin.com/paste/${id}`,
  JustPaste: (id) => `https://justpaste.it/${id}`,
  AdHocUrl: (id) => id
}

export const pasteUrl = (paste: Paste): Option.Option<string> =>
  Option.map(Option.fromNullable(pasteSites[paste.Source]), (url) => url(encodeURI(paste.Id)))

export const pasteFindings = (pastes: ReadonlyArray<Paste>, email: string): ReadonlyArray<Finding> =>
  pastes.flatMap((paste) =>
    Option.toArray(Option.flatMap(pasteUrl(paste), (url) =>
      finding("URL", url, {
        // A paste names the address among others: it was exposed there, maybe with a password.
        confidence: 0.8,
        source_data: { ...paste },
        metadata: {
          email,
          paste_site: paste.Source,
          title: paste.Title ?? null,
          date: paste.Date ?? null,
          emails_in_paste: paste.EmailCount ?? null,
          sensitive: true
        }
      })))
  )

export const hibpPastes = pagedApi({
  name: "hibp_pastes",
  title: "HIBP pastes of an address",
  description: "Finds the pastes (Pastebin and others) Have I Been Pwned has seen an email address in",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["EMAIL"],
  output_types: ["URL"],
  source: {
    id: "hibp",
    name: "Have I Been Pwned API v3",
    baseUrl: "https://haveibeenpwned.com",
    rateLimit: { requests: 10, perSeconds: 60 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.header("hibp-api-key"),
  format: Formats.json,
  request: (target) => ({ path: `/api/v3/pasteaccount/${encodeURIComponent(target.value)}`, headers: hibpHeaders }),
  empty: [404],
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: Paste,
  findings: (rows, target) => pasteFindings(rows, target.value)
})
