/**
 * An HTTP server that answers like email-format.com's domain page (`/d/{domain}/`): the
 * company's address formats and example addresses in `<div class="fl">` blocks, some of them
 * Cloudflare-obfuscated (`data-cfemail`), and 404 for a domain it knows nothing about.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

export type { Failure } from "./HttpFixture.js"

export type EmailFormatServer = HttpFixture.HttpFixture

/** A domain's listing: its addresses as the page shows them; `obfuscated` ones via `data-cfemail`. */
export interface Listing {
  readonly format: string
  readonly emails: ReadonlyArray<string>
  readonly obfuscated: ReadonlyArray<string>
}

/** Cloudflare's obfuscation: a key byte, then each character XORed with it, in hex. */
export const cfEncode = (email: string, key = 0x5a): string =>
  [key, ...Array.from(Buffer.from(email, "latin1"), (byte) => byte ^ key)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")

const page = (domain: string, listing: Listing) =>
  `<!DOCTYPE html>
<html><head><title>${domain} Email Address Format | Email Format</title></head>
<body>
<div id="domain_address_container">
  <h1>Email Address Formats for ${domain}</h1>
  <div class="format fl">${listing.format}</div>
  <h3>Representative Email Addresses</h3>
${listing.emails.map((email) => `  <div class="fl">\n    ${email}\n  </div>`).join("\n")}
${
    listing.obfuscated.map((email) =>
      `  <div class="fl"><a href="/cdn-cgi/l/email-protection" class="__cf_email__" data-cfemail="${
        cfEncode(email)
      }">[email&#160;protected]</a></div>`
    ).join("\n")
  }
</div>
<div class="sidebar">Contact us: support@email-format.example</div>
</body></html>`

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  listings: Readonly<Record<string, Listing>>
): Effect.Effect<EmailFormatServer, never, Scope.Scope> =>
  HttpFixture.make("https://www.email-format.com", (request) => {
    const match = /^\/d\/([^/]+)\/?$/.exec(request.url.pathname)
    if (request.method !== "GET" || match === null) return HttpFixture.notFound()
    const domain = decodeURIComponent(match[1]!).toLowerCase()
    const listing = listings[domain]
    if (listing === undefined) {
      return HttpFixture.text("<html><body>Domain not found</body></html>", 404, "text/html; charset=utf-8")
    }
    return HttpFixture.text(page(domain, listing), 200, "text/html; charset=utf-8")
  })
