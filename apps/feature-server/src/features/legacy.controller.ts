import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CategoryQuery, CustomerProductQuery, CustomerQuery, ProductQuery } from './features.dto';
import { FeaturesService } from './features.service';

/**
 * The original system's eight endpoints (docs/legacy-api.md), same paths, parameters and bodies,
 * for its clients. Each reads one feature; the 404 code comes from the feature's definition.
 */
@ApiTags('original API')
@ApiBearerAuth()
@Controller('api/v1')
export class LegacyController {
  constructor(private readonly features: FeaturesService) {}

  @Get('stream/review-rating-average')
  @ApiOperation({ summary: 'avg_review: mean of the 5 latest ratings of a product' })
  async reviewRatingAverage(@Query() q: ProductQuery) {
    return { avg_rating: await this.features.legacy('avg_review', [q.product_id]) };
  }

  @Get('stream/customer-last-purchase-amount')
  @ApiOperation({ summary: "last_purchase_amount: amount of the customer's latest purchase" })
  async customerLastPurchaseAmount(@Query() q: CustomerQuery) {
    return { amount: await this.features.legacy('last_purchase_amount', [q.customer_id]) };
  }

  @Get('stream/customer-last-product-review-rating')
  @ApiOperation({ summary: 'last_review: latest rating the customer gave the product' })
  async customerLastProductReviewRating(@Query() q: CustomerProductQuery) {
    return { rating: await this.features.legacy('last_review', [q.customer_id, q.product_id]) };
  }

  @Get('stream/total-revenue-by-category')
  @ApiOperation({ summary: "revenue_category: revenue of the category's 3 latest orders" })
  async totalRevenueByCategory(@Query() q: CategoryQuery) {
    return { revenue: await this.features.legacy('revenue_category', [q.category]) };
  }

  @Get('offline/average-product-review-rating')
  @ApiOperation({ summary: 'avg_review_rating: mean rating of the product over 30 days' })
  async averageProductReviewRating(@Query() q: ProductQuery) {
    return { avg_rating: await this.features.legacy('avg_review_rating', [q.product_id]) };
  }

  @Get('offline/category-revenue')
  @ApiOperation({ summary: 'revenue_by_category: revenue of the category over 30 days' })
  async categoryRevenue(@Query() q: CategoryQuery) {
    return { revenue: await this.features.legacy('revenue_by_category', [q.category]) };
  }

  @Get('offline/product-revenue')
  @ApiOperation({ summary: 'revenue_by_product: revenue of the product over 30 days' })
  async productRevenue(@Query() q: ProductQuery) {
    return { revenue: await this.features.legacy('revenue_by_product', [q.product_id]) };
  }

  @Get('offline/sold-product-units')
  @ApiOperation({ summary: 'units_sold: units of the product sold over 30 days' })
  async soldProductUnits(@Query() q: ProductQuery) {
    return { units: await this.features.legacy('units_sold', [q.product_id]) };
  }
}
