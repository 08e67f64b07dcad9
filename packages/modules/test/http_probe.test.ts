/** http_probe against the sandbox's website (through `base_url`): final URLs, technologies, hosts not served. */
import { describe, expect, it } from "@effect/vitest"
import { makeResponse } from "@mirage/modules/Module"
import { candidatesFor, httpProbe, technologiesOf } from "@mirage/modules/modules/http_probe"
import * as TcpListeners from "@mirage/testkit/TcpListeners"
import { Effect, Either } from "effect"
import { domainTarget, worldWithContext } from "./support.js"

const pairs = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  findings.map(({ type, value }) => `${type} ${value}`).sort()

const url = (value: string) => ({ target: { type: "URL" as const, value } })

describe("http_probe", () => {
  it.scoped("follows the domain to its site: the final URL, its status and title, its technologies", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("http_probe")
      const session = yield* httpProbe.open(world.moduleConfig["http_probe"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(pairs(findings)).toEqual([
        "TECHNOLOGY PHP 8.2.12",
        "TECHNOLOGY WordPress 6.5.2",
        "TECHNOLOGY nginx 1.25.3",
        "URL https://www.mirage-sandbox.test/"
      ])
      expect(findings.find((finding) => finding.type === "URL")).toMatchObject({
        confidence: 1,
        source_data: { requested: "https://mirage-sandbox.test/" },
        metadata: {
          status: 200,
          title: "Mirage Sandbox Co. — Home",
          server: "nginx/1.25.3",
          redirects: ["https://mirage-sandbox.test/"]
        }
      })
      expect(findings.find((finding) => finding.value === "PHP 8.2.12")?.metadata).toEqual({
        product: "PHP",
        version: "8.2.12"
      })
      // The site was asked for the names, as a reverse proxy would be.
      expect(world.services.website.received().map((request) => request.headers.host)).toEqual([
        "mirage-sandbox.test",
        "www.mirage-sandbox.test"
      ])
    }))

  it.scoped("tries the schemes in the configured order: plain http is redirected to https", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("http_probe")
      const session = yield* httpProbe.open({ ...world.moduleConfig["http_probe"], schemes: ["http"] }, ctx)
      const findings = yield* session.collect(domainTarget("www.mirage-sandbox.test"))
      expect(findings.find((finding) => finding.type === "URL")).toMatchObject({
        value: "https://www.mirage-sandbox.test/",
        metadata: { redirects: ["http://www.mirage-sandbox.test/"] }
      })
    }))

  it.scoped("a URL is probed as it is, whatever its status", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("http_probe")
      const session = yield* httpProbe.open(world.moduleConfig["http_probe"], ctx)
      const findings = yield* session.collect(url("https://www.mirage-sandbox.test/admin/"))
      expect(findings.find((finding) => finding.type === "URL")).toMatchObject({
        value: "https://www.mirage-sandbox.test/admin/",
        metadata: { status: 403, title: "Forbidden", redirects: [] }
      })
      // No generator on that page: only what the headers say.
      expect(pairs(findings.filter((finding) => finding.type === "TECHNOLOGY"))).toEqual([
        "TECHNOLOGY PHP 8.2.12",
        "TECHNOLOGY nginx 1.25.3"
      ])
    }))

  it.scoped("a host the server does not serve (421), or nothing listening, is no findings", () =>
    Effect.gen(function*() {
      const { ctx, logs, world } = yield* worldWithContext("http_probe")
      const session = yield* httpProbe.open(world.moduleConfig["http_probe"], ctx)
      expect(yield* session.collect(domainTarget("api.mirage-sandbox.test"))).toEqual([])
      // Both schemes were tried.
      expect(world.services.website.requests()).toBe(2)
      const closed = yield* TcpListeners.closedPort
      const nowhere = yield* httpProbe.open({ base_url: `http://127.0.0.1:${closed}` }, ctx)
      expect(yield* nowhere.collect(domainTarget(world.domain))).toEqual([])
      expect(logs.filter((log) => log.message === "http_probe: no answer")).toHaveLength(2)
    }))

  it.scoped("probes open ports that are web ports, https first on TLS ports", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("http_probe")
      const session = yield* httpProbe.open(world.moduleConfig["http_probe"], ctx)
      const defaults = Either.getOrThrow(httpProbe.decodeConfig({}))
      const open = (value: string) => ({ target: { type: "OPEN_PORT" as const, value } })
      expect(Either.map(candidatesFor(defaults, open("192.0.2.10:8443")), (urls) => urls.map(String))).toEqual(
        Either.right(["https://192.0.2.10:8443/", "http://192.0.2.10:8443/"])
      )
      expect(Either.map(candidatesFor(defaults, open("[2001:db8::10]:80")), (urls) => urls.map(String))).toEqual(
        Either.right(["http://[2001:db8::10]/", "https://[2001:db8::10]:80/"])
      )
      expect(yield* session.collect(open(`192.0.2.10:${world.services.ssh.port}`))).toEqual([])
      expect(world.services.website.requests()).toBe(0)
    }))

  it("reads technologies from headers, cookies and the generator", () => {
    const response = makeResponse(200, {
      server: "Apache/2.4.58 (Ubuntu) OpenSSL/3.0.13",
      "x-aspnet-version": "4.0.30319",
      "set-cookie": "JSESSIONID=abc; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT, PHPSESSID=x",
      "content-type": "text/html"
    }, "<html><head><meta content=\"Drupal 10 (https://www.drupal.org)\" name=\"Generator\"></head></html>")
    expect(technologiesOf(response).map(({ name, version }) => ({ name, version }))).toEqual([
      { name: "Apache", version: "2.4.58" },
      { name: "OpenSSL", version: "3.0.13" },
      { name: "ASP.NET", version: "4.0.30319" },
      { name: "Java", version: undefined },
      { name: "PHP", version: undefined },
      { name: "Drupal 10 (https://www.drupal.org)", version: undefined }
    ])
  })

  it.scoped("validates its config", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("http_probe")
      expect((yield* Effect.flip(httpProbe.open({ schemes: ["ftp"] }, ctx))).message).toContain("schemes")
      expect((yield* Effect.flip(httpProbe.open({ schemes: [] }, ctx))).message).toContain("schemes")
      expect((yield* Effect.flip(httpProbe.open({ base_url: "ftp://x" }, ctx))).message).toContain("http(s) URL")
      const session = yield* httpProbe.open({}, ctx)
      expect((yield* Effect.flip(session.collect({ target: { type: "IP", value: "192.0.2.1" } }))).message).toContain(
        "does not take IP targets"
      )
    }))
})
