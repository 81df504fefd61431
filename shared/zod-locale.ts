/**
 * English messages for zod/mini, which loads no locale (every message would read "Invalid input").
 * Imported by each module that reads issue messages, and by the configuration every function loads
 * at cold start, so a message reads the same in Lambda, locally and in tests. `en` by name from
 * `zod/locales`: `z.locales.en` would keep all of zod's locales in a bundle (docs/architecture.md
 * §9, *Bundles*).
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());
