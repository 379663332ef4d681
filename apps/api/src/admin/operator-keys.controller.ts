import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  IssueApiKeyCommand,
  IssueOperatorKeyUseCase,
  ListOperatorKeysUseCase,
  RevokeOperatorKeyUseCase,
} from '@app/domain';
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
  constructor(
    private readonly listKeys: ListOperatorKeysUseCase,
    private readonly issueKey: IssueOperatorKeyUseCase,
    private readonly revokeKey: RevokeOperatorKeyUseCase,
  ) {}

  @ApiOkResponse({ type: [ApiKey] })
  @Get()
  list() {
    return this.listKeys.execute();
  }

  @ApiCreatedResponse({ type: IssuedApiKey })
  @Post()
  issue(@Body() body: IssueApiKeyDto) {
    return this.issueKey.execute(IssueApiKeyCommand.create({ ...body }));
  }

  @ApiNoContentResponse()
  @Delete(':keyId')
  @HttpCode(204)
  async revoke(@Param('keyId', UuidOr404) keyId: string) {
    await this.revokeKey.execute(keyId);
  }
}
