/** What kind of entity a target given on the command line is, when `--type` does not say. */
import type { EntityType } from "@mirage/domain/Entity"

const ipv4 = /^(\d{1,3}\.){3}\d{1,3}$/
const ipv6 = /^[0-9a-f:]+:[0-9a-f:]*$/i

export const guessType = (value: string): EntityType => {
  if (ipv4.test(value) || ipv6.test(value)) return "IP"
  if (/^https?:\/\//i.test(value)) return "URL"
  if (/^[^@\s]+@[^@\s]+$/.test(value)) return "EMAIL"
  if (/^AS\d+$/i.test(value)) return "ASN"
  if (/^\+?[\d\s().-]{7,}$/.test(value)) return "PHONE"
  return "DOMAIN"
}
