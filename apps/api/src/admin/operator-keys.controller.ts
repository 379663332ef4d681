import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { IssueApiKeyCommand, OperatorKeysUseCase } from '@app/domain';
import { OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { IssueApiKeyDto } from './admin.dto';
import { ApiKey, IssuedApiKey } from '../views/tenants.dto';

/** Operator keys: listed, issued (the key is in the response this once) and revoked (refused at once). */
@ApiTags('admin: operator keys')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/operator-keys')
export class AdminOperatorKeysController {
  constructor(private readonly keys: OperatorKeysUseCase) {}

  @ApiOkResponse({ type: [ApiKey] })
  @Get()
  list() {
    return this.keys.list();
  }

  @ApiCreatedResponse({ type: IssuedApiKey })
  @Post()
  issue(@Body() body: IssueApiKeyDto) {
    return this.keys.issue(IssueApiKeyCommand.create({ ...body }));
  }

  @ApiNoContentResponse()
  @Delete(':keyId')
  @HttpCode(204)
  async revoke(@Param('keyId', UuidOr404) keyId: string) {
    await this.keys.revoke(keyId);
  }
}
