import { describe, expect, it } from "@effect/vitest"
import {
  canonicalDomainOf,
  canonicalize,
  enrichmentHash,
  Entity,
  entityKey,
  entityTypes,
  EntityValue,
  normalizeEntity,
  resultHash
} from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import { Either, FastCheck, Schema } from "effect"
import { createHash } from "node:crypto"

const right = (type: EntityType, input: string) =>
  Either.getOrElse(canonicalize(type, input), (error) => `REJECTED: ${error}`)

/** Checks a table of inputs: a string is the canonical form expected, null a rejection. */
const table = (type: EntityType, cases: ReadonlyArray<readonly [string, string | null]>) => {
  for (const [input, expected] of cases) {
    it(expected === null ? `rejects ${JSON.stringify(input)}` : `${JSON.stringify(input)} → ${expected}`, () => {
      const result = canonicalize(type, input)
      if (expected === null) {
        expect(Either.isLeft(result)).toBe(true)
      } else {
        expect(right(type, input)).toBe(expected)
        // the canonical form is a fixed point
        expect(right(type, expected)).toBe(expected)
      }
    })
  }
}

describe("entity types", () => {
  it("are the twelve of the contract, vulnerabilities, certificates and correlation findings", () => {
    expect(entityTypes).toEqual([
      "DOMAIN",
      "IP",
      "EMAIL",
      "URL",
      "USERNAME",
      "PHONE",
      "ASN",
      "NETBLOCK",
      "OPEN_PORT",
      "TECHNOLOGY",
      "ORGANIZATION",
      "BREACH",
      "VULNERABILITY",
      "CERTIFICATE",
      "CORRELATION"
    ])
  })

  it("an entity decodes from its wire form and refuses unknown types and empty values", () => {
    const decode = Schema.decodeUnknownEither(Entity)
    expect(Either.getOrThrow(decode({ type: "DOMAIN", value: "example.com" }))).toEqual(
      Entity.make({ type: "DOMAIN", value: "example.com" })
    )
    expect(Either.isLeft(decode({ type: "HOSTNAME", value: "example.com" }))).toBe(true)
    expect(Either.isLeft(decode({ type: "DOMAIN", value: "" }))).toBe(true)
    expect(Either.isLeft(decode({ type: "DOMAIN", value: "a".repeat(2049) }))).toBe(true)
    expect(Either.isRight(Schema.decodeUnknownEither(EntityValue)("a".repeat(2048)))).toBe(true)
    expect(Schema.encodeSync(Entity)(Entity.make({ type: "IP", value: "192.0.2.1" }))).toEqual({
      type: "IP",
      value: "192.0.2.1"
    })
  })
})

describe("DOMAIN", () => {
  table("DOMAIN", [
    ["example.com", "example.com"],
    ["Example.COM", "example.com"],
    ["WWW.Example.COM.", "www.example.com"],
    ["  example.com\t", "example.com"],
    ["a-b.example.co.uk", "a-b.example.co.uk"],
    ["1password.com", "1password.com"],
    ["123.example.com", "123.example.com"],
    ["_dmarc.example.com", "_dmarc.example.com"],
    ["Bücher.DE", "xn--bcher-kva.de"],
    ["bücher.de.", "xn--bcher-kva.de"],
    ["xn--bcher-kva.de", "xn--bcher-kva.de"],
    ["例子。测试", "xn--fsqu00a.xn--0zwm56d"],
    ["münchen.xn--p1ai", "xn--mnchen-3ya.xn--p1ai"],
    [`${"a".repeat(63)}.com`, `${"a".repeat(63)}.com`],
    ["", null],
    ["   ", null],
    [".", null],
    ["com", null],
    ["localhost", null],
    ["a..com", null],
    [".example.com", null],
    ["example.com..", null],
    ["-a.example.com", null],
    ["a-.example.com", null],
    ["exa mple.com", null],
    ["*.example.com", null],
    ["example.123", null],
    ["1.2.3.4", null],
    ["192.168.0.1.", null],
    ["example.0x10", null],
    [`${"a".repeat(64)}.com`, null],
    [`${Array.from({ length: 50 }, () => "abcde").join(".")}.com`, null],
    ["xn--zz.com", null],
    ["http://example.com", null],
    ["example.com/path", null],
    ["example.com?q", null],
    ["example.com#top", null],
    ["example.com\\x", null],
    ["exa%41mple.com", null],
    ["[example.com]", null],
    ["user@example.com", null],
    ["example.com:443", null]
  ])

  it("a name taken as already canonical is what the URL host parser gives back", () => {
    // Labels of letters, digits, hyphens, underscores and IDNA prefixes, dots anywhere, upper case now and then.
    const label = FastCheck.oneof(
      FastCheck.stringMatching(/^[a-z0-9_-]{1,8}$/),
      FastCheck.constantFrom("xn--bcher-kva", "xn--zz", "ab--cd", "0x10", "123", "a".repeat(63), "b".repeat(64), "EX")
    )
    const name = FastCheck.array(label, { minLength: 1, maxLength: 6 }).map((labels) => labels.join("."))
    FastCheck.assert(
      FastCheck.property(FastCheck.oneof(name, name.map((n) => `${n}.`), name.map((n) => `${n}-`)), (input) => {
        expect(canonicalize("DOMAIN", input)).toStrictEqual(canonicalDomainOf(input))
      }),
      { numRuns: 3000 }
    )
    const long = `${Array.from({ length: 3 }, () => "a".repeat(63)).join(".")}.${"b".repeat(57)}.com`
    for (const input of [long, `a${long}`, "example.com", "a.b", "a.1b", "a._b", "a.b_"]) {
      expect(canonicalize("DOMAIN", input)).toStrictEqual(canonicalDomainOf(input))
    }
  })

  it("a name of 253 characters is the longest", () => {
    const longest = `${Array.from({ length: 3 }, () => "a".repeat(63)).join(".")}.${"b".repeat(57)}.com`
    expect(longest.length).toBe(253)
    expect(right("DOMAIN", longest)).toBe(longest)
    expect(Either.isLeft(canonicalize("DOMAIN", `a${longest}`))).toBe(true)
  })
})

describe("IP (v4)", () => {
  table("IP", [
    ["192.0.2.1", "192.0.2.1"],
    [" 192.0.2.1 ", "192.0.2.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    // leading zeros are ambiguous (inet_aton reads "010" as octal 8, others as decimal 10): refused
    ["010.0.0.1", null],
    ["192.0.2.01", null],
    ["00.0.0.0", null],
    ["256.0.0.1", null],
    ["1.2.3", null],
    ["127.1", null],
    ["1.2.3.4.5", null],
    ["0x7f.0.0.1", null],
    ["2130706433", null],
    ["1.2.3.-4", null],
    ["1.2.3.4/32", null],
    ["example.com", null],
    ["", null]
  ])

  it("every dotted quad is its own canonical form", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.ipV4(), (ip) => {
        expect(right("IP", ip)).toBe(ip)
      })
    )
  })
})

describe("IP (v6)", () => {
  table("IP", [
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    // RFC 5952 4.2.2: a single 16-bit 0 is not shortened
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    // 4.2.3: the longest run is shortened, the first of equal runs
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    // 4.1: leading zeros suppressed; 4.3: lowercase
    ["2001:DB8:00AB:000C::", "2001:db8:ab:c::"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["fe80::", "fe80::"],
    // 5: IPv4-mapped addresses in mixed notation, however they are written
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::FFFF:C000:0201", "::ffff:192.0.2.1"],
    ["0:0:0:0:0:ffff:c000:201", "::ffff:192.0.2.1"],
    ["[::ffff:0.0.0.0]", "::ffff:0.0.0.0"],
    // other embedded IPv4 forms are plain IPv6 words
    ["::192.0.2.1", "::c000:201"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
    ["::ffff:0:c000:201", "::ffff:0:c000:201"],
    ["fe80::1%eth0", null],
    ["2001:db8::1::1", null],
    ["2001:db8:::1", null],
    ["12345::1", null],
    ["2001:db8::g", null],
    ["1:2:3:4:5:6:7:8:9", null],
    ["::ffff:192.0.2.256", null],
    ["::ffff:192.0.2.01", null],
    ["[2001:db8::1", null]
  ])

  /** Eight random words written any valid way: padding, case, and "::" over any run of zeros. */
  const arbWritten = FastCheck.tuple(
    FastCheck.array(FastCheck.oneof(FastCheck.constant(0), FastCheck.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8
    }),
    FastCheck.array(FastCheck.tuple(FastCheck.boolean(), FastCheck.boolean()), { minLength: 8, maxLength: 8 }),
    FastCheck.nat(),
    FastCheck.boolean()
  ).map(([words, styles, runPick, compress]) => {
    const hex = words.map((w, i) => {
      const [pad, upper] = styles[i]!
      const text = pad ? w.toString(16).padStart(4, "0") : w.toString(16)
      return upper ? text.toUpperCase() : text
    })
    const runs: Array<readonly [number, number]> = []
    for (let i = 0; i < 8; i++) {
      if (words[i] !== 0) continue
      let j = i
      while (j < 8 && words[j] === 0) j++
      runs.push([i, j])
      i = j
    }
    if (!compress || runs.length === 0) return { words, text: hex.join(":") }
    const [start, end] = runs[runPick % runs.length]!
    return { words, text: `${hex.slice(0, start).join(":")}::${hex.slice(end).join(":")}` }
  })

  const isMapped = (words: ReadonlyArray<number>) => words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff

  it("agrees with the WHATWG URL serializer, which follows RFC 5952 too", () => {
    FastCheck.assert(
      FastCheck.property(arbWritten, ({ text, words }) => {
        const oracle = new URL(`http://[${text}]/`).hostname.slice(1, -1)
        const canonical = right("IP", text)
        if (isMapped(words)) {
          expect(canonical).toBe(`::ffff:${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`)
        } else {
          expect(canonical).toBe(oracle)
        }
      }),
      { numRuns: 1000 }
    )
  })

  it("every way of writing an address gives one canonical form", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.ipV6(), (ip) => {
        const canonical = right("IP", ip)
        expect(canonical).not.toMatch(/^REJECTED/)
        expect(right("IP", canonical)).toBe(canonical)
        expect(right("IP", ip.toUpperCase())).toBe(canonical)
        expect(right("IP", `[${ip}]`)).toBe(canonical)
        // never two "::", never a "::" over a single word, never a leading zero
        expect(canonical.split("::").length).toBeLessThanOrEqual(2)
        expect(canonical).not.toMatch(/(^|:)0[0-9a-f]/)
      }),
      { numRuns: 500 }
    )
  })
})

describe("EMAIL", () => {
  table("EMAIL", [
    ["John.Doe@Example.COM", "John.Doe@example.com"],
    ["john.doe@example.com", "john.doe@example.com"],
    [" admin@example.com ", "admin@example.com"],
    ["mailto:X@Y.org", "X@y.org"],
    ["MAILTO:x@y.org", "x@y.org"],
    ["user+tag@Bücher.de", "user+tag@xn--bcher-kva.de"],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ["admin@example.com.", "admin@example.com"],
    [`${"a".repeat(64)}@example.com`, `${"a".repeat(64)}@example.com`],
    [`${"a".repeat(65)}@example.com`, null],
    ["no-at-sign", null],
    ["@example.com", null],
    ["admin@", null],
    ["a@b@example.com", null],
    ["a b@example.com", null],
    ["<admin@example.com>", null],
    ["\"quoted\"@example.com", null],
    ["a,b@example.com", null],
    ["admin@localhost", null],
    ["admin@[192.0.2.1]", null],
    ["admin@example..com", null]
  ])

  it("keeps the local part and lowercases the domain of any address", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.emailAddress(), FastCheck.boolean(), (address, upper) => {
        const at = address.lastIndexOf("@")
        const written = upper ? `${address.slice(0, at)}@${address.slice(at + 1).toUpperCase()}` : address
        const canonical = right("EMAIL", written)
        if (canonical.startsWith("REJECTED")) return
        expect(canonical.slice(0, canonical.lastIndexOf("@"))).toBe(address.slice(0, at))
        expect(canonical.slice(canonical.lastIndexOf("@") + 1)).toBe(address.slice(at + 1).toLowerCase())
      })
    )
  })
})

describe("URL", () => {
  table("URL", [
    ["HTTP://user:pw@Example.COM:80/Path?q=1#frag", "http://example.com/Path?q=1"],
    ["https://example.com", "https://example.com/"],
    ["https://example.com:443", "https://example.com/"],
    ["http://example.com:443/", "http://example.com:443/"],
    ["https://example.com:8443/a", "https://example.com:8443/a"],
    ["https://user@example.com/", "https://example.com/"],
    ["https://example.com/#", "https://example.com/"],
    ["http://example.com./a", "http://example.com/a"],
    ["http://example.com../a", "http://example.com/a"],
    ["http://Bücher.de/Straße", "http://xn--bcher-kva.de/Stra%C3%9Fe"],
    ["http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"],
    ["http://192.0.2.1/", "http://192.0.2.1/"],
    ["https://example.com/a/../b/./c", "https://example.com/b/c"],
    ["https://example.com/search?q=Mirage&lang=EN", "https://example.com/search?q=Mirage&lang=EN"],
    ["  https://example.com/x  ", "https://example.com/x"],
    ["ftp://example.com/", null],
    ["file:///etc/passwd", null],
    ["javascript:alert(1)", null],
    ["mailto:admin@example.com", null],
    ["data:text/plain,hi", null],
    ["example.com", null],
    ["//example.com/", null],
    ["http://", null],
    ["http://.../", null],
    ["http://exa mple.com/", null],
    ["", null]
  ])

  it("drops fragments and credentials and lowercases the host of any web URL", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.webUrl({ withFragments: true, withQueryParameters: true, authoritySettings: { withUserInfo: true } }),
        FastCheck.boolean(),
        (url, upper) => {
          const parsed = new URL(url)
          const written = upper ? url.replace(parsed.host, parsed.host.toUpperCase()) : url
          const canonical = right("URL", written)
          if (canonical.startsWith("REJECTED")) return
          const result = new URL(canonical)
          expect(result.hash).toBe("")
          expect(result.username).toBe("")
          expect(result.password).toBe("")
          expect(result.hostname).toBe(result.hostname.toLowerCase())
          expect(result.hostname.endsWith(".")).toBe(false)
          expect(result.search).toBe(parsed.search)
          expect(result.pathname).toBe(parsed.pathname)
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("ASN", () => {
  table("ASN", [
    ["AS15169", "AS15169"],
    ["as15169", "AS15169"],
    ["As15169", "AS15169"],
    ["AS 15169", "AS15169"],
    ["15169", "AS15169"],
    [" AS015169 ", "AS15169"],
    ["AS0", "AS0"],
    ["AS4294967295", "AS4294967295"],
    ["AS4294967296", null],
    ["AS", null],
    ["ASN15169", null],
    ["AS-1", null],
    ["AS12a", null],
    ["AS 1 5", null],
    ["", null]
  ])
})

describe("NETBLOCK", () => {
  table("NETBLOCK", [
    ["192.0.2.0/24", "192.0.2.0/24"],
    ["192.0.2.0/024", "192.0.2.0/24"],
    // host bits are cleared: one block, one entity
    ["192.0.2.77/24", "192.0.2.0/24"],
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["172.31.255.255/12", "172.16.0.0/12"],
    ["192.0.2.77/32", "192.0.2.77/32"],
    ["192.0.2.77/0", "0.0.0.0/0"],
    ["198.51.100.130/25", "198.51.100.128/25"],
    ["2001:DB8::/32", "2001:db8::/32"],
    ["2001:db8:abcd:1234::1/48", "2001:db8:abcd::/48"],
    ["2001:db8:abcd:1234::1/52", "2001:db8:abcd:1000::/52"],
    ["2001:db8::1/128", "2001:db8::1/128"],
    ["::/0", "::/0"],
    ["ffff::/1", "8000::/1"],
    ["::ffff:192.0.2.77/120", "::ffff:192.0.2.0/120"],
    ["[2001:db8::]/32", "2001:db8::/32"],
    ["192.0.2.0/33", null],
    ["2001:db8::/129", null],
    ["192.0.2.0", null],
    ["192.0.2.0/", null],
    ["192.0.2.0/24/1", null],
    ["192.0.2.0/-1", null],
    ["192.0.2.0/ 24", null],
    ["192.0.2.0/1000", null],
    ["example.com/24", null],
    ["010.0.0.0/8", null]
  ])

  it("every address of a block names the same block", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.ipV4(), FastCheck.integer({ min: 0, max: 32 }), (ip, prefix) => {
        const canonical = right("NETBLOCK", `${ip}/${prefix}`)
        const [network] = canonical.split("/")
        expect(right("NETBLOCK", `${network}/${prefix}`)).toBe(canonical)
        const toInt = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0)
        const size = 2 ** (32 - prefix)
        expect(toInt(network!) % size).toBe(0)
        expect(toInt(ip) - toInt(network!)).toBeGreaterThanOrEqual(0)
        expect(toInt(ip) - toInt(network!)).toBeLessThan(size)
      })
    )
  })

  it("an IPv6 block keeps its first prefix bits and clears the rest", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.ipV6(), FastCheck.integer({ min: 0, max: 128 }), (ip, prefix) => {
        const canonical = right("NETBLOCK", `${ip}/${prefix}`)
        const [network] = canonical.split("/")
        expect(right("NETBLOCK", `${network}/${prefix}`)).toBe(canonical)
        const bits = (address: string) => {
          const expanded = new URL(`http://[${address}]/`).hostname.slice(1, -1)
          const [head, tail] = expanded.split("::") as [string, string | undefined]
          const h = head === "" ? [] : head.split(":")
          const t = tail === undefined ? [] : tail === "" ? [] : tail.split(":")
          const words = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t]
          return words.map((w) => parseInt(w, 16).toString(2).padStart(16, "0")).join("")
        }
        expect(bits(network!).slice(0, prefix)).toBe(bits(ip).slice(0, prefix))
        expect(bits(network!).slice(prefix)).toBe("0".repeat(128 - prefix))
      }),
      { numRuns: 300 }
    )
  })
})

describe("PHONE", () => {
  table("PHONE", [
    ["+1 (415) 555-2671", "+14155552671"],
    ["+14155552671", "+14155552671"],
    ["+44 20 7946 0958", "+442079460958"],
    ["+1.415.555.2671", "+14155552671"],
    ["14155552671", "14155552671"],
    ["020 7946 0958", "02079460958"],
    ["(415) 555-2671", "4155552671"],
    ["+861012345678901", "+861012345678901"],
    ["+8610123456789012", null],
    ["0044 20 7946 0958", null],
    ["+0 415 555 2671", null],
    ["+1 415", null],
    ["+1 415 555 2671 ext 3", null],
    ["tel:+14155552671", null],
    ["call me", null],
    ["", null]
  ])
})

describe("OPEN_PORT", () => {
  table("OPEN_PORT", [
    ["192.0.2.1:443", "192.0.2.1:443"],
    ["192.0.2.1:080", "192.0.2.1:80"],
    ["192.0.2.1:1", "192.0.2.1:1"],
    ["192.0.2.1:65535", "192.0.2.1:65535"],
    ["[2001:DB8::1]:8080", "[2001:db8::1]:8080"],
    ["[::ffff:192.0.2.1]:22", "[::ffff:192.0.2.1]:22"],
    ["192.0.2.1:0", null],
    ["192.0.2.1:65536", null],
    ["192.0.2.1:123456", null],
    ["192.0.2.1", null],
    ["192.0.2.1:", null],
    ["192.0.2.1:http", null],
    // an unbracketed IPv6 address is ambiguous: is "443" the port or the last word?
    ["2001:db8::1:443", null],
    ["::1:22", null],
    // a port belongs to an address; names are resolved first
    ["example.com:443", null]
  ])
})

describe("USERNAME", () => {
  table("USERNAME", [
    ["alice", "alice"],
    ["Alice", "Alice"],
    ["  bob_99  ", "bob_99"],
    ["@handle", "@handle"],
    ["émilie.d", "émilie.d"],
    ["a".repeat(128), "a".repeat(128)],
    ["a".repeat(129), null],
    ["two words", null],
    ["a/b", null],
    ["a\\b", null],
    ["", null],
    ["   ", null]
  ])
})

describe("free text (TECHNOLOGY, ORGANIZATION, BREACH)", () => {
  table("TECHNOLOGY", [
    ["nginx 1.25", "nginx 1.25"],
    ["Nginx 1.25", "Nginx 1.25"],
    ["  WordPress \t 6.4\n", "WordPress 6.4"],
    ["x".repeat(256), "x".repeat(256)],
    ["x".repeat(257), null],
    ["   ", null]
  ])
  table("ORGANIZATION", [
    ["Example  Corp,   Inc.", "Example Corp, Inc."],
    ["o".repeat(512), "o".repeat(512)],
    ["o".repeat(513), null]
  ])
  table("BREACH", [
    ["LinkedIn 2012", "LinkedIn 2012"],
    ["", null]
  ])
})

describe("VULNERABILITY and CERTIFICATE", () => {
  table("VULNERABILITY", [
    ["CVE-2021-44228", "CVE-2021-44228"],
    [" cve-2014-0160 ", "CVE-2014-0160"],
    ["CVE_2023_1234567", "CVE-2023-1234567"],
    ["CVE-2021-123", null],
    ["GHSA-jfh8-c2jp-5v3q", null],
    ["log4shell", null]
  ])
  const sha256 = "5ef2f214260ea7d0deec3b0db4f3f8cc02e7e05b7ef2b31a9c9bd1b1d6a3a2f1"
  table("CERTIFICATE", [
    [sha256, sha256],
    [sha256.toUpperCase().match(/../g)!.join(":"), sha256],
    [`sha256:${sha256}`, sha256],
    ["da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
    [sha256.slice(1), null],
    ["not-a-fingerprint", null]
  ])
})

describe("resultHash", () => {
  it("is sha256 of the type followed by the canonical value", () => {
    const expected = createHash("sha256").update("DOMAINexample.com").digest("hex")
    expect(resultHash("DOMAIN", "example.com")).toBe(expected)
    expect(resultHash("DOMAIN", "example.com")).toMatch(/^[0-9a-f]{64}$/)
  })

  it("tells types apart, and agrees with sha256 for any value", () => {
    expect(resultHash("DOMAIN", "example.com")).not.toBe(resultHash("USERNAME", "example.com"))
    FastCheck.assert(
      FastCheck.property(
        FastCheck.constantFrom(...entityTypes.filter((type) => type !== "TECHNOLOGY")),
        FastCheck.string({ unit: "grapheme" }),
        (t, v) => {
          expect(resultHash(t, v)).toBe(createHash("sha256").update(`${t}${v}`, "utf8").digest("hex"))
        }
      )
    )
  })

  it("folds a technology's case: one technology whichever source wrote it, its first casing kept as the value", () => {
    expect(resultHash("TECHNOLOGY", "WordPress 6.4")).toBe(resultHash("TECHNOLOGY", "wordpress 6.4"))
    expect(resultHash("TECHNOLOGY", "WordPress 6.4")).toBe(
      createHash("sha256").update("TECHNOLOGYwordpress 6.4", "utf8").digest("hex")
    )
    expect(entityKey({ type: "TECHNOLOGY", value: "Nginx" })).toBe(entityKey({ type: "TECHNOLOGY", value: "nginx" }))
    expect(entityKey({ type: "ORGANIZATION", value: "Acme" })).not.toBe(
      entityKey({ type: "ORGANIZATION", value: "ACME" })
    )
  })
})

describe("enrichmentHash", () => {
  it("is one per entity and module, never an entity's own hash", () => {
    const own = resultHash("IP", "192.0.2.1")
    expect(enrichmentHash("IP", "192.0.2.1", "dnsbl")).not.toBe(own)
    expect(enrichmentHash("IP", "192.0.2.1", "dnsbl")).toBe(enrichmentHash("IP", "192.0.2.1", "dnsbl"))
    expect(enrichmentHash("IP", "192.0.2.1", "dnsbl")).not.toBe(enrichmentHash("IP", "192.0.2.1", "ipinfo"))
    expect(enrichmentHash("IP", "192.0.2.1", "dnsbl")).not.toBe(enrichmentHash("IP", "192.0.2.2", "dnsbl"))
    expect(enrichmentHash("IP", "192.0.2.1", "dnsbl")).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe("normalizeEntity", () => {
  it("gives the canonical entity", () => {
    const entity = Either.getOrThrow(normalizeEntity({ type: "DOMAIN", value: "WWW.Example.COM." }))
    expect(entity).toBeInstanceOf(Entity)
    expect(entity).toEqual(Entity.make({ type: "DOMAIN", value: "www.example.com" }))
    expect(entityKey(entity)).toBe("DOMAIN:www.example.com")
  })

  it("says why a value is not of its type", () => {
    expect(normalizeEntity({ type: "IP", value: "999.1.1.1" })).toEqual(Either.left("not an IP address: 999.1.1.1"))
  })

  it("refuses what the Entity schema refuses, as a reason rather than a thrown error", () => {
    const long = `https://example.com/${"a".repeat(2048)}`
    expect(Either.isRight(canonicalize("URL", long))).toBe(true)
    expect(Schema.is(Entity)({ type: "URL", value: long })).toBe(false)
    expect(normalizeEntity({ type: "URL", value: long })).toEqual(
      Either.left("must be 1-2048 characters once canonical")
    )
    expect(normalizeEntity({ type: "PLANET" as EntityType, value: "mars" })).toEqual(
      Either.left("not an entity type: PLANET")
    )
  })

  it("gives an entity it built back as it is, as normalizing its copy would", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.constantFrom(...entityTypes), FastCheck.string({ maxLength: 40 }), (t, v) => {
        const entity = normalizeEntity({ type: t, value: v })
        if (Either.isLeft(entity)) return
        const again = normalizeEntity(entity.right)
        expect(Either.getOrThrow(again)).toBe(entity.right)
        expect(normalizeEntity({ type: entity.right.type, value: entity.right.value })).toEqual(again)
      })
    )
  })

  it("builds entities the schema accepts", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.constantFrom(...entityTypes), FastCheck.string({ maxLength: 40 }), (t, v) => {
        const entity = normalizeEntity({ type: t, value: v })
        if (Either.isRight(entity)) expect(Schema.is(Entity)(entity.right)).toBe(true)
      })
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Idempotence: canonicalize(canonicalize(x)) == canonicalize(x)
// ---------------------------------------------------------------------------------------------

const label = FastCheck.stringMatching(/^[A-Za-z0-9_-]{1,12}$/)
const unicodeLabel = FastCheck.array(FastCheck.constantFrom("a", "B", "ü", "É", "ß", "中", "-", "0", "x", "n", "."), {
  minLength: 1,
  maxLength: 10
}).map((chars) => chars.join(""))
const arbDomain = FastCheck.tuple(
  FastCheck.array(FastCheck.oneof(label, unicodeLabel), { minLength: 1, maxLength: 4 }),
  FastCheck.constantFrom("com", "ORG", "de", "xn--p1ai", "io", "123", "co.uk"),
  FastCheck.constantFrom("", ".", "..", " ")
).map(([labels, tld, suffix]) => `${labels.join(".")}.${tld}${suffix}`)

const arbIp = FastCheck.oneof(
  FastCheck.ipV4(),
  FastCheck.ipV4Extended(),
  FastCheck.ipV6(),
  FastCheck.ipV6().map((ip) => `[${ip.toUpperCase()}]`)
)

const arbInput: Record<EntityType, FastCheck.Arbitrary<string>> = {
  DOMAIN: arbDomain,
  IP: arbIp,
  EMAIL: FastCheck.oneof(
    FastCheck.emailAddress(),
    FastCheck.tuple(FastCheck.stringMatching(/^[A-Za-z0-9.+@"_-]{1,10}$/), arbDomain).map(([l, d]) => `${l}@${d}`),
    FastCheck.emailAddress().map((e) => `MAILTO:${e.toUpperCase()}`)
  ),
  URL: FastCheck.oneof(
    FastCheck.webUrl({ withFragments: true, withQueryParameters: true, authoritySettings: { withUserInfo: true } }),
    FastCheck.tuple(
      FastCheck.constantFrom("http", "HTTPS", "ftp"),
      FastCheck.oneof(arbDomain, FastCheck.ipV4(), FastCheck.ipV6().map((ip) => `[${ip}]`)),
      FastCheck.constantFrom("", ":80", ":443", ":8080", ":0"),
      FastCheck.stringMatching(/^[/A-Za-z0-9._~%?=&#-]{0,15}$/)
    ).map(([scheme, host, port, rest]) => `${scheme}://${host}${port}/${rest}`)
  ),
  USERNAME: FastCheck.string({ unit: "grapheme", maxLength: 20 }),
  PHONE: FastCheck.tuple(
    FastCheck.constantFrom("+", "", "00"),
    FastCheck.array(
      FastCheck.tuple(FastCheck.integer({ min: 0, max: 9 }), FastCheck.constantFrom("", "", " ", "-", ".", "(", ")")),
      {
        minLength: 5,
        maxLength: 17
      }
    )
  ).map(([prefix, digits]) => `${prefix}${digits.map(([d, sep]) => `${d}${sep}`).join("")}`),
  ASN: FastCheck.oneof(
    FastCheck.tuple(FastCheck.constantFrom("AS", "as", "AS ", ""), FastCheck.nat()).map(([p, n]) => `${p}${n}`),
    FastCheck.stringMatching(/^(AS|as)?\s?0*[0-9]{1,11}$/)
  ),
  NETBLOCK: FastCheck.tuple(arbIp, FastCheck.integer({ min: 0, max: 140 })).map(([ip, p]) => `${ip}/${p}`),
  OPEN_PORT: FastCheck.tuple(
    FastCheck.oneof(FastCheck.ipV4(), FastCheck.ipV6(), FastCheck.ipV6().map((ip) => `[${ip}]`)),
    FastCheck.integer({ min: 0, max: 70000 })
  ).map(([ip, port]) => `${ip}:${port}`),
  TECHNOLOGY: FastCheck.string({ unit: "grapheme", maxLength: 30 }),
  ORGANIZATION: FastCheck.string({ unit: "grapheme", maxLength: 30 }),
  BREACH: FastCheck.string({ unit: "grapheme", maxLength: 30 }),
  VULNERABILITY: FastCheck.tuple(
    FastCheck.constantFrom("CVE-", "cve-", "Cve_", "CVE "),
    FastCheck.integer({ min: 1999, max: 2030 }),
    FastCheck.constantFrom("-", "_"),
    FastCheck.integer({ min: 1, max: 9_999_999 })
  ).map(([prefix, year, sep, n]) => `${prefix}${year}${sep}${String(n).padStart(4, "0")}`),
  CERTIFICATE: FastCheck.oneof(
    FastCheck.stringMatching(/^[0-9a-fA-F]{64}$/),
    FastCheck.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
    FastCheck.stringMatching(/^sha256:[0-9a-f]{64}$/),
    FastCheck.stringMatching(/^[0-9a-f]{40}$/)
  ),
  CORRELATION: FastCheck.string({ unit: "grapheme", maxLength: 60 })
}

describe("canonicalization is idempotent", () => {
  for (const type of entityTypes) {
    it(type, () => {
      FastCheck.assert(
        FastCheck.property(FastCheck.oneof(arbInput[type], FastCheck.string({ unit: "grapheme" })), (input) => {
          const once = canonicalize(type, input)
          if (Either.isLeft(once)) return
          expect(canonicalize(type, once.right)).toEqual(once)
          // and the canonical form is a valid entity value
          expect(once.right.length).toBeGreaterThan(0)
          expect(once.right.trim()).toBe(once.right)
        }),
        { numRuns: 1000 }
      )
    })
  }

  it("the generators produce valid values often enough to mean something", () => {
    for (const type of entityTypes) {
      const inputs = FastCheck.sample(arbInput[type], { numRuns: 300, seed: 42 })
      const valid = inputs.filter((input) => Either.isRight(canonicalize(type, input))).length
      expect(valid, type).toBeGreaterThan(30)
    }
  })
})
