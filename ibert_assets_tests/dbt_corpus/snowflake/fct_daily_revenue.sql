with orders as (
    select * from "ANALYTICS"."INTERMEDIATE"."INT_ORDERS__PAID"
),

dated as (
    select * from "ANALYTICS"."STAGING"."STG_SHOP__ORDERS"
)

select
    date_trunc('day', dated.ordered_on) as revenue_date,
    count(distinct orders.order_id) as orders,
    sum(orders.paid_amount) as revenue
from orders
inner join dated on orders.order_id = dated.order_id
where dated.ordered_on >= dateadd(day, -90, current_date)
group by 1
