/**
 * The sandbox's website, one HTTP server standing in for its web hosts: it serves by the `Host`
 * a client names (modules send it when their `base_url` points here), redirects the bare domain
 * and plain http to `https://www.{domain}`, and answers 421 for hosts it does not serve. Its pages
 * link to each other and out of scope, show emails and phones, and reveal their software.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

export type WebsiteServer = HttpFixture.HttpFixture

export const domain = "mirage-sandbox.test"
export const site = `www.${domain}`
const origin = `https://${site}`

/** Headers every answer of the site carries (it is served through Fastly); pages add the PHP session. */
const serverHeaders = {
  server: "nginx/1.25.3",
  via: "1.1 varnish",
  "x-served-by": "cache-lhr7380-LHR",
  "x-cache": "MISS"
}
const pageHeaders = {
  ...serverHeaders,
  "x-powered-by": "PHP/8.2.12",
  "set-cookie": "PHPSESSID=5f2b7c9e1a; path=/; HttpOnly"
}

const nav = `<nav>
  <a href="/">Home</a> <a href="/about/">About</a> <a href="/contact/">Contact</a> <a href="/blog/">Blog</a>
  <a href="#top">Top</a> <a href="javascript:void(0)">Menu</a>
</nav>`

const layout = (title: string, body: string, head = "") =>
  `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>${head}</head>
<body id="top">${nav}
<main>${body}</main>
<footer>&copy; 2025 Mirage Sandbox Co.</footer>
</body></html>`

/** The site's pages by path. */
export const pages: Readonly<Record<string, string>> = {
  "/": layout(
    "Mirage Sandbox Co. &mdash; Home",
    `<h1>Welcome</h1>
<p>Visit our <a href="https://shop.mirage-sandbox.test/">shop</a>, read the <a href="/files/brochure.pdf">brochure</a>
or meet our <a href="https://partner.example/">partner</a>.</p>`,
    `<meta name="generator" content="WordPress 6.5.2">`
  ),
  "/about/": layout(
    "About us",
    `<p>Press enquiries: press@mirage-sandbox.test</p>
<!-- old contact, removed: oldpress@mirage-sandbox.test -->
<script>var support = "bot@mirage-sandbox.test"</script>`
  ),
  "/contact/": layout(
    "Contact",
    `<p><a href="mailto:info@mirage-sandbox.test?subject=Hello">Write to us</a>
or call <a href="tel:+1-202-555-0143">+1 (202) 555-0143</a>.</p>
<p>London office: +44 20 7946 0958. Visitors: visitor@webmail.example</p>`
  ),
  "/blog/": layout("Blog", `<ul><li><a href="2025/hello-world/">Hello, world</a></li></ul>`),
  "/blog/2025/hello-world/": layout("Hello, world", `<p>Our first post.</p>`),
  "/careers/": layout("Careers", `<p>No openings right now.</p>`)
}

export const robotsTxt = `# robots for ${site}
User-agent: *
Disallow: /admin/
Disallow: /private/*.pdf$
Allow: /admin/public/

User-agent: BadBot
Disallow: /

Sitemap: ${origin}/sitemap_index.xml
`

/** The site's security.txt (RFC 9116): its security contacts. */
export const securityTxt = `# Security contacts for ${domain}
Contact: mailto:security@${domain}
Contact: ${origin}/contact/
Expires: 2030-01-01T00:00:00.000Z
Preferred-Languages: en
Canonical: ${origin}/.well-known/security.txt
`

/** The site's humans.txt (humanstxt.org): its team, their handles, one address written out of spam's reach. */
export const humansTxt = `/* TEAM */
Developer: Jane Doe
Contact: jane.doe [at] mirage-sandbox [dot] test
Twitter: @janedoe_dev
GitHub: https://github.com/mirage-jane
From: London, UK

Designer: John Smith
Contact: john.smith@gmail.example
Site: https://www.mirage-sandbox.test/about/

/* SITE */
Last update: 2025/05/01
Standards: HTML5, CSS3
Software: WordPress, nginx
`

/** The site's favicon: a 1×1 ICO (one 32-bit BMP image), served as bytes. */
export const favicon = Buffer.from(
  "AAABAAEAAQEAAAEAIAAwAAAAFgAAACgAAAABAAAAAgAAAAEAIAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAD/gDD/AAAAAA==",
  "base64"
)

const urlset = (paths: ReadonlyArray<string>) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${paths.map((path) => `  <url><loc>${origin}${path}</loc><lastmod>2025-05-01</lastmod></url>`).join("\n")}
</urlset>`

export const sitemaps: Readonly<Record<string, string>> = {
  "/sitemap_index.xml": `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>${origin}/sitemap-pages.xml</loc></sitemap>
  <sitemap><loc>${origin}/sitemap-posts.xml</loc></sitemap>
</sitemapindex>`,
  "/sitemap-pages.xml": urlset(["/", "/about/", "/contact/", "/careers/"]),
  "/sitemap-posts.xml": urlset(["/blog/2025/hello-world/"])
}

/**
 * Everything a scan can learn from the site (with http_probe, web_spider, robots_sitemap, securitytxt,
 * humans_txt, waf_cdn, tech_fingerprint, favicon_hash), canonical.
 */
export const expected = {
  urls: [
    `${origin}/`,
    `${origin}/about/`,
    `${origin}/contact/`,
    `${origin}/blog/`,
    `${origin}/blog/2025/hello-world/`,
    `${origin}/careers/`,
    `${origin}/files/brochure.pdf`,
    `${origin}/admin/`,
    `${origin}/admin/public/`,
    `${origin}/private/`,
    `${origin}/sitemap_index.xml`,
    `${origin}/sitemap-pages.xml`,
    `${origin}/sitemap-posts.xml`,
    `${origin}/.well-known/security.txt`,
    `${origin}/humans.txt`,
    `${origin}/favicon.ico`,
    "https://shop.mirage-sandbox.test/"
  ],
  emails: ["press@mirage-sandbox.test", "info@mirage-sandbox.test"],
  phones: ["+12025550143", "+442079460958"],
  technologies: [
    "nginx 1.25.3",
    "PHP 8.2.12",
    "WordPress 6.5.2",
    "Fastly",
    // Wappalyzer's names (tech_fingerprint): Fastly's Varnish, what WordPress implies. Its "Nginx 1.25.3" is the
    // "nginx 1.25.3" above: technologies are one whatever their case.
    "Varnish",
    "MySQL"
  ],
  /** Handles its humans.txt names. */
  usernames: ["janedoe_dev", "mirage-jane"],
  /** On the site but out of scope, or not shown to visitors. */
  absent: [
    "https://partner.example/",
    "visitor@webmail.example",
    "oldpress@mirage-sandbox.test",
    "bot@mirage-sandbox.test",
    "john.smith@gmail.example"
  ]
} as const

const html = (body: string, status = 200): HttpFixture.FixtureResponse => ({
  status,
  headers: { ...pageHeaders, "content-type": "text/html; charset=utf-8" },
  body
})

const redirect = (location: string): HttpFixture.FixtureResponse => ({
  status: 301,
  headers: { ...serverHeaders, location, "content-type": "text/html" },
  body: `<html><body><a href="${location}">Moved</a></body></html>`
})

/** Starts the site on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make: Effect.Effect<WebsiteServer, never, Scope.Scope> = HttpFixture.make(origin, (request) => {
  const host = (request.headers.host ?? "").toLowerCase().replace(/:443$|:80$/, "")
  const scheme = request.headers["x-forwarded-proto"] === "http" ? "http" : "https"
  const path = `${request.url.pathname}${request.url.search}`
  if (host === domain || (host === site && scheme === "http")) return redirect(`${origin}${path}`)
  if (host !== site) {
    return { status: 421, headers: { ...serverHeaders, "content-type": "text/plain" }, body: "Misdirected Request" }
  }
  if (request.method !== "GET" && request.method !== "HEAD") return { status: 405, headers: serverHeaders }
  const pathname = request.url.pathname
  const page = pages[pathname]
  if (page !== undefined) return html(page)
  const sitemap = sitemaps[pathname]
  if (sitemap !== undefined) {
    return { status: 200, headers: { ...serverHeaders, "content-type": "application/xml" }, body: sitemap }
  }
  if (pathname === "/robots.txt") {
    return { status: 200, headers: { ...serverHeaders, "content-type": "text/plain" }, body: robotsTxt }
  }
  if (pathname === "/.well-known/security.txt") {
    return {
      status: 200,
      headers: { ...serverHeaders, "content-type": "text/plain; charset=utf-8" },
      body: securityTxt
    }
  }
  if (pathname === "/favicon.ico") {
    return { status: 200, headers: { ...serverHeaders, "content-type": "image/x-icon" }, body: favicon }
  }
  if (pathname === "/humans.txt") {
    return { status: 200, headers: { ...serverHeaders, "content-type": "text/plain; charset=utf-8" }, body: humansTxt }
  }
  if (pathname.startsWith("/admin/")) return html(layout("Forbidden", "<p>Forbidden</p>"), 403)
  return html(`<!DOCTYPE html><html><head><title>Not found</title></head><body>Not found</body></html>`, 404)
})
