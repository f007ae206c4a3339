/// The mapping files for the generator's CSV exports. The same text is checked in under
/// `schemas/examples/` (a test keeps the two identical).
public enum ExampleMappings {
    public static let pos = """
        # POS till export: one row per receipt. 交易类型 销售 = sale, 退货 = refund, 作废 (voided) is skipped.
        source: pos
        type: transaction
        name:
          column: 交易类型
          values:
            销售: order_completed
            退货: refund
            作废: null
        event_id:
          template: "{门店}-{小票号}"
        occurred_at:
          column: 交易时间
          format: yyyy/MM/dd HH:mm
          time_zone: Asia/Shanghai
        identifiers:
          phone: 手机号
          member_id: 会员卡号
        traits:
          name: 顾客姓名
        properties:
          order_id: 小票号
          store_id: 门店
          amount:
            column: 实付金额
            type: decimal
          currency:
            value: CNY

        """

    public static let tmall = """
        # Tmall order export (订单报表). Closed orders (交易关闭) are skipped.
        source: tmall
        type: transaction
        name:
          column: 订单状态
          values:
            交易成功: order_completed
            退款成功: refund
            交易关闭: null
        event_id: 订单编号
        occurred_at:
          column: 订单创建时间
          format: yyyy-MM-dd HH:mm:ss
          time_zone: Asia/Shanghai
        identifiers:
          customer_id: 买家会员名
          phone: 联系手机
        traits:
          name: 收货人姓名
          province: 收货省份
        properties:
          order_id: 订单编号
          amount:
            column: 买家实际支付金额
            type: decimal

        """

    public static let survey = """
        # Survey platform export: one NPS answer per row.
        source: survey
        type: feedback
        name: nps
        event_id: 答卷编号
        occurred_at:
          column: 提交时间
          format: yyyy/M/d H:mm
          time_zone: "+08:00"
        identifiers:
          phone: 手机号码
          email: 电子邮箱
        properties:
          score:
            column: 推荐意愿
            type: integer
          text: 意见

        """

    public static let all: [(file: String, text: String)] = [
        ("pos.mapping.yaml", pos), ("tmall.mapping.yaml", tmall), ("survey.mapping.yaml", survey),
    ]
}
