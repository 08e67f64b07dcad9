/** The sandbox's names: its domain and the companies the registries name. */

/** The sandbox domain (FixtureWorld's; repeated because FixtureWorld imports IntelData). */
export const domain = "mirage-sandbox.test"

/** The sandbox company, as registries and directories name it. */
export const org = "Mirage Sandbox Ltd"
export const hosting = "Example Hosting GmbH"
export const transit = "Edge Transit Networks"
