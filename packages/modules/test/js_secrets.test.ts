/** js_secrets against a local site: its scripts read, endpoints found, secrets reported only redacted. */
import { describe, expect, it } from "@effect/vitest"
import { endpointsIn, jsSecrets, redact, secretsIn } from "@mirage/modules/modules/js_secrets"
import * as HttpFixture from "@mirage/testkit/HttpFixture"
import { Effect } from "effect"
import { contextFor } from "./support.js"

// Made-up values in the credentials' formats: none is a real key.
const awsKey = "AKIAEXAMPLE0MIRAGE00"
const googleKey = `AIza${"S".repeat(35)}`
const page = `<html><head>
<script src="/static/app.js"></script>
<script src="https://cdn.other.example/lib.js"></script>
<script src="https://static.shop.example.test/vendor.js"></script>
</head><body><script>inline()</script></body></html>`
const app = `const api = "/api/v1/users"; fetch("/v2/orders?limit=10");
const cfg = { aws: "${awsKey}", maps: '${googleKey}', docs: "https://shop.example.test/docs/", ext: "https://other.example/x" }`

const site = HttpFixture.make("https://shop.example.test", (request) => {
  if (request.url.pathname === "/") return HttpFixture.text(page, 200, "text/html")
  if (request.url.pathname === "/static/app.js") return HttpFixture.text(app, 200, "application/javascript")
  if (request.url.pathname === "/vendor.js") {
    return HttpFixture.text("/* nothing here */", 200, "application/javascript")
  }
  return HttpFixture.notFound()
})

describe("js_secrets", () => {
  it("finds credentials by pattern and redacts them; endpoints stay on the site", () => {
    const secrets = secretsIn(app)
    expect(secrets.map((s) => s.kind)).toEqual(["aws_access_key_id", "google_api_key"])
    expect(secrets[0]).toEqual(redact("aws_access_key_id", awsKey))
    expect(secrets[0]?.redacted).toBe("AKIA…(20 chars)")
    expect(JSON.stringify(secrets)).not.toContain(awsKey)
    expect(endpointsIn(app, new URL("https://shop.example.test/static/app.js"), "shop.example.test")).toEqual([
      "https://shop.example.test/api/v1/users",
      "https://shop.example.test/v2/orders?limit=10",
      "https://shop.example.test/docs/"
    ])
  })

  it.scoped("reads the page's own scripts: endpoints as URLs, the script flagged sensitive, no secret in clear", () =>
    Effect.gen(function*() {
      const server = yield* site
      const { ctx } = yield* contextFor("js_secrets", { dnsServers: [] })
      const session = yield* jsSecrets.open({ base_url: server.url }, ctx)
      const findings = yield* session.collect({ target: { type: "DOMAIN", value: "shop.example.test" } })
      // The page, its script and the subdomain's; the other site's script is left alone.
      expect(server.requestLog()).toEqual(["/", "/static/app.js", "/vendor.js"])
      expect(findings.map((f) => [f.value, f.metadata["kind"]])).toEqual([
        ["https://shop.example.test/static/app.js", "script"],
        ["https://shop.example.test/api/v1/users", "endpoint"],
        ["https://shop.example.test/v2/orders?limit=10", "endpoint"],
        ["https://shop.example.test/docs/", "endpoint"],
        ["https://static.shop.example.test/vendor.js", "script"]
      ])
      expect(findings[0]?.metadata).toMatchObject({ sensitive: true, endpoints: 3 })
      expect((findings[0]?.metadata["secrets"] as Array<{ kind: string }>).map((s) => s.kind)).toEqual([
        "aws_access_key_id",
        "google_api_key"
      ])
      expect(findings[4]?.metadata["sensitive"]).toBeUndefined()
      expect(JSON.stringify(findings)).not.toContain(awsKey)
      expect(JSON.stringify(findings)).not.toContain(googleKey)
    }))

  it.scoped("a page that is not there has no findings; a target of another type is refused", () =>
    Effect.gen(function*() {
      const server = yield* HttpFixture.make("https://gone.example.test", () => HttpFixture.notFound())
      const { ctx } = yield* contextFor("js_secrets", { dnsServers: [] })
      const session = yield* jsSecrets.open({ base_url: server.url }, ctx)
      expect(yield* session.collect({ target: { type: "DOMAIN", value: "gone.example.test" } })).toEqual([])
      const refused = yield* Effect.flip(session.collect({ target: { type: "IP", value: "192.0.2.1" } }))
      expect(refused._tag).toBe("ModuleConfigError")
    }))
})
