import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Span } from '@opentelemetry/api';
import { ApiErrors } from '@fstore/rest-api';
import { legacyNotFound, SERVING_ERRORS } from '../errors/api-errors';
import {
  AmountDto,
  AvgRatingDto,
  CategoryQuery,
  CustomerProductQuery,
  CustomerQuery,
  ProductQuery,
  RatingDto,
  RevenueDto,
  UnitsDto,
} from './features.dto';
import { FeaturesService } from './features.service';
import { RequestSpan } from './request-span.decorator';

/**
 * The original system's eight endpoints (docs/legacy-api.md), same paths, parameters and bodies,
 * for its clients. Each reads one feature; the 404 code comes from the feature's definition.
 */
@ApiTags('original API')
@ApiBearerAuth()
@ApiErrors(
  SERVING_ERRORS.validation,
  SERVING_ERRORS.unauthenticated,
  SERVING_ERRORS.storeUnavailable,
  SERVING_ERRORS.unhandled,
)
@Controller('api/v1')
export class LegacyController {
  constructor(private readonly features: FeaturesService) {}

  @Get('stream/review-rating-average')
  @ApiOperation({ summary: 'avg_review: mean of the 5 latest ratings of a product' })
  @ApiOkResponse({ type: AvgRatingDto })
  @ApiErrors(legacyNotFound('avg_review'))
  async reviewRatingAverage(
    @Query() q: ProductQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<AvgRatingDto> {
    return { avg_rating: await this.features.legacy('avg_review', [q.product_id], parent) };
  }

  @Get('stream/customer-last-purchase-amount')
  @ApiOperation({ summary: "last_purchase_amount: amount of the customer's latest purchase" })
  @ApiOkResponse({ type: AmountDto })
  @ApiErrors(legacyNotFound('last_purchase_amount'))
  async customerLastPurchaseAmount(
    @Query() q: CustomerQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<AmountDto> {
    return { amount: await this.features.legacy('last_purchase_amount', [q.customer_id], parent) };
  }

  @Get('stream/customer-last-product-review-rating')
  @ApiOperation({ summary: 'last_review: latest rating the customer gave the product' })
  @ApiOkResponse({ type: RatingDto })
  @ApiErrors(legacyNotFound('last_review'))
  async customerLastProductReviewRating(
    @Query() q: CustomerProductQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<RatingDto> {
    return {
      rating: await this.features.legacy('last_review', [q.customer_id, q.product_id], parent),
    };
  }

  @Get('stream/total-revenue-by-category')
  @ApiOperation({ summary: "revenue_category: revenue of the category's 3 latest orders" })
  @ApiOkResponse({ type: RevenueDto })
  @ApiErrors(legacyNotFound('revenue_category'))
  async totalRevenueByCategory(
    @Query() q: CategoryQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<RevenueDto> {
    return { revenue: await this.features.legacy('revenue_category', [q.category], parent) };
  }

  @Get('offline/average-product-review-rating')
  @ApiOperation({ summary: 'avg_review_rating: mean rating of the product over 30 days' })
  @ApiOkResponse({ type: AvgRatingDto })
  @ApiErrors(legacyNotFound('avg_review_rating'))
  async averageProductReviewRating(
    @Query() q: ProductQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<AvgRatingDto> {
    return { avg_rating: await this.features.legacy('avg_review_rating', [q.product_id], parent) };
  }

  @Get('offline/category-revenue')
  @ApiOperation({ summary: 'revenue_by_category: revenue of the category over 30 days' })
  @ApiOkResponse({ type: RevenueDto })
  @ApiErrors(legacyNotFound('revenue_by_category'))
  async categoryRevenue(
    @Query() q: CategoryQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<RevenueDto> {
    return { revenue: await this.features.legacy('revenue_by_category', [q.category], parent) };
  }

  @Get('offline/product-revenue')
  @ApiOperation({ summary: 'revenue_by_product: revenue of the product over 30 days' })
  @ApiOkResponse({ type: RevenueDto })
  @ApiErrors(legacyNotFound('revenue_by_product'))
  async productRevenue(
    @Query() q: ProductQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<RevenueDto> {
    return { revenue: await this.features.legacy('revenue_by_product', [q.product_id], parent) };
  }

  @Get('offline/sold-product-units')
  @ApiOperation({ summary: 'units_sold: units of the product sold over 30 days' })
  @ApiOkResponse({ type: UnitsDto })
  @ApiErrors(legacyNotFound('units_sold'))
  async soldProductUnits(
    @Query() q: ProductQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<UnitsDto> {
    return { units: await this.features.legacy('units_sold', [q.product_id], parent) };
  }
}
