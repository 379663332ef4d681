import { Controller, Get, Header } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { PlatformCertificates } from '@app/domain';
import { Public } from '../auth/auth.decorators';

/** The platform CA's certificate: public (a certificate is no secret), so clients and scripts fetch it without a key. */
@ApiTags('tenant')
@Public()
@Controller('v1')
export class CaController {
  constructor(private readonly certificates: PlatformCertificates) {}

  /**
   * The CA that signs every database's server certificate (PEM): clients verify the server against it. During a CA
   * rotation, a bundle: the new CA, then the previous one, until no database's certificate is signed by it.
   */
  @Get('ca.pem')
  @Header('content-type', 'application/x-pem-file')
  @Header('cache-control', 'public, max-age=3600')
  @ApiProduces('application/x-pem-file')
  caPem(): Promise<string> {
    return this.certificates.caPem();
  }
}
