import { startService } from './service';

export default async function globalSetup(): Promise<void> {
  await startService();
}
