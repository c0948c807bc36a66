import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException, type FieldError } from './problem-details';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** DTOs are validated at the edge: unknown fields are refused, every bad field is named. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new ProblemException(422, 'Some fields are missing or invalid; see errors.', { errors: flatten(errors) }),
  });
}

/** A DTO's given fields only: optional fields left out arrive as own properties set to undefined. */
export function definedOnly<T extends object>(dto: T): T {
  return Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)) as T;
}

/** For @Transform: strings arrive trimmed. */
export const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
