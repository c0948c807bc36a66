import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/** `npm run docs:screenshots`: the console's screens over the browser suite's seeded service, into docs/console/. */
export default defineConfig({ ...base, testMatch: 'screenshots.shots.ts', use: { ...base.use, viewport: { width: 1280, height: 800 } } });
