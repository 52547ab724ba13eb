import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginBody {
  @ApiProperty({ example: 'reader@example.com' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password!: string;
}

export class RefreshBody {
  @ApiProperty()
  @IsString()
  @MaxLength(4096)
  refresh_token!: string;
}

export class TokenPair {
  @ApiProperty() access_token!: string;
  @ApiProperty() refresh_token!: string;
  @ApiProperty({ example: 'bearer' }) token_type!: string;
  @ApiProperty({ description: 'access token lifetime in seconds' }) expires_in!: number;
}
