/** The command line's own settings: which gateway it asks, with which key. */
import * as Setting from "@mirage/runtime/platform/Setting"

export const url = Setting.string("cli", "MIRAGE_URL", {
  default: "http://127.0.0.1:8080",
  description: "The gateway `mirage` asks (or --url)"
})
export const apiKey = Setting.optionalSecret("cli", "MIRAGE_API_KEY", {
  description: "The API key `mirage` sends (or --key)"
})
