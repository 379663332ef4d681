import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ListCertificateAuthoritiesUseCase,
  ReissueCertificatesUseCase,
  RotateCaCommand,
  RotateCaUseCase,
} from '@app/domain';
import { OperatorOnly } from '../auth/auth.decorators';
import { CertificateAuthorities, RotateCaDto } from './certificate-authorities.dto';

/** The platform CA: its state, its rotation, and the re-issue of the certificates a previous CA signed. */
@ApiTags('admin: certificate authority')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/ca')
export class AdminCaController {
  constructor(
    private readonly listCas: ListCertificateAuthoritiesUseCase,
    private readonly rotateCa: RotateCaUseCase,
    private readonly reissue: ReissueCertificatesUseCase,
  ) {}

  @ApiOkResponse({ type: CertificateAuthorities })
  @Get()
  list() {
    return this.listCas.execute();
  }

  @ApiOperation({
    summary: 'Rotate the platform CA',
    description:
      'A new CA signs from now on; GET /v1/ca.pem serves it and the old one until no database holds a certificate ' +
      "the old one signed, which are re-issued at their renewal (default) or, with reissue=now, at the renewal job's " +
      'next round; then the renewal job retires the old CA.',
  })
  @ApiOkResponse({ type: CertificateAuthorities })
  @Post('rotate')
  @HttpCode(200)
  rotate(@Body() body: RotateCaDto) {
    return this.rotateCa.execute(RotateCaCommand.create({ ...body }));
  }

  @ApiOperation({
    summary: "Re-issue the previous CAs' certificates now",
    description: "The certificates previous CAs signed are replaced at the renewal job's next round.",
  })
  @ApiOkResponse({ type: CertificateAuthorities })
  @Post('reissue')
  @HttpCode(200)
  reissueNow() {
    return this.reissue.execute();
  }
}
