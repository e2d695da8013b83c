import { version } from '../package.json'

/** The version of @postern/core that is running; plugins' `core` ranges are checked against it. */
export const CORE_VERSION: string = version
