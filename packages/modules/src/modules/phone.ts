/**
 * phone: what a phone number is, read offline with libphonenumber-js (Google's libphonenumber
 * metadata): its E.164 form, country, line type (mobile, fixed line, toll free, VoIP…) and whether
 * it is a number that can exist. Nothing is sent anywhere. The number comes back as a PHONE finding
 * carrying that; a scan stores an entity once, so a number already seen keeps its first result and
 * the classification is seen on the task's result.
 */
import { Effect, Option, Schema } from "effect"
import { parsePhoneNumberFromString, type PhoneNumber } from "libphonenumber-js/max"
import { headerFields } from "../kinds/PagedApi.js"
import { type DataSource, defineModule, type Finding, finding, targetValue } from "../Module.js"

/** Parsing needs no network: a local source, so the runtime's limit never holds it back. */
export const phoneSource: DataSource = {
  id: "phone_metadata",
  name: "libphonenumber metadata (offline)",
  rateLimit: { requests: 1000, perSeconds: 1 },
  requiresKey: false,
  proxy: false
}

const CountryCode = Schema.String.pipe(
  Schema.pattern(/^[A-Z]{2}$/, { message: () => "must be an ISO 3166-1 alpha-2 country code such as GB" })
)

export const PhoneConfig = Schema.Struct({
  /** The country a number written without its `+` country code is read in; none reads every number as international. */
  default_country: Schema.optionalWith(Schema.NullOr(CountryCode), { default: () => null, exact: true })
})
export type PhoneConfig = typeof PhoneConfig.Type

/** libphonenumber's line types, as the API writes them. */
const lineTypes: Readonly<Record<string, string>> = {
  MOBILE: "mobile",
  FIXED_LINE: "fixed_line",
  FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
  PREMIUM_RATE: "premium_rate",
  TOLL_FREE: "toll_free",
  SHARED_COST: "shared_cost",
  VOIP: "voip",
  PERSONAL_NUMBER: "personal_number",
  PAGER: "pager",
  UAN: "uan",
  VOICEMAIL: "voicemail"
}

export type Classified = {
  readonly e164: string
  readonly country: string | null
  readonly calling_code: string
  readonly type: string | null
  readonly valid: boolean
  readonly possible: boolean
  readonly international: string
  readonly national: string
}

const describe = (number: PhoneNumber): Classified => {
  const type = number.getType()
  return {
    e164: number.number,
    country: number.country ?? null,
    calling_code: number.countryCallingCode,
    type: type === undefined ? null : lineTypes[type] ?? type.toLowerCase(),
    valid: number.isValid(),
    possible: number.isPossible(),
    international: number.formatInternational(),
    national: number.formatNational()
  }
}

/** The number read (with `defaultCountry` for one without `+`), or undefined when it is not a phone number. */
export const classify = (text: string, defaultCountry: string | null): Classified | undefined => {
  const parsed = defaultCountry === null
    ? parsePhoneNumberFromString(text)
    : parsePhoneNumberFromString(text, { defaultCountry: defaultCountry as never })
  return parsed === undefined ? undefined : describe(parsed)
}

/** The classification enriches the number asked; read in E.164 from national digits it is a new entity. */
const findingOf = (classified: Classified, input: string): Option.Option<Finding> =>
  Option.map(
    finding("PHONE", classified.e164, {
      // An impossible number is still reported, as the record that it is one.
      confidence: classified.valid ? 1 : classified.possible ? 0.6 : 0.3,
      source_data: { input },
      metadata: classified
    }),
    (found) => ({ ...found, enrichment: true })
  )

export const phone = defineModule({
  ...headerFields({
    name: "phone",
    title: "Phone number classification",
    description: "Reads a phone number offline: its E.164 form, country, line type and whether it can exist",
    flags: ["passive", "safe"],
    config: PhoneConfig,
    input_types: ["PHONE"],
    output_types: ["PHONE"]
  }),
  source: phoneSource,
  setup: (config: PhoneConfig, ctx) => Effect.succeed({ config, notes: ctx.notes, log: ctx.log }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const number = yield* targetValue("phone", task, "PHONE")
      // The raw value, when it still has the formatting the canonical form drops.
      const classified = classify(task.target.value.trim(), session.config.default_country) ??
        classify(number, session.config.default_country)
      if (classified === undefined) {
        yield* session.notes.skipped("not a number libphonenumber can read")
        return []
      }
      yield* session.log("phone classified", { country: classified.country, type: classified.type })
      return Option.toArray(findingOf(classified, task.target.value))
    })
})
