import { ApiProperty } from '@nestjs/swagger';
import { IsArray, IsObject } from 'class-validator';
import type { ExportedDefinitions } from '@fstore/definitions';
import type { DesiredJob } from './feature-plan';

/** A caller's definitions (`fstore features export`) and the streaming jobs they compile to. */
export class PlanRequestDto {
  @ApiProperty({
    description: 'The definitions as `fstore features export` prints them (format 1)',
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  definitions!: ExportedDefinitions;

  @ApiProperty({
    description:
      'The streaming jobs they compile to: {name, source, file, sha256 of the compiled SQL, features}',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  @IsArray()
  jobs!: DesiredJob[];
}
