import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  // PORT=0: any free port.
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  console.log(`instance ${process.pid} serves ${await app.getUrl()}/health, /metrics and /history`);
}

bootstrap().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
