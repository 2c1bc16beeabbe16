Feature: How the steps were done (乱作为, 不作为 and 慢作为 beyond the clocks)
  Extensions, replies, service, execution, refusals, back-filling, bouncing a matter between
  units, repeated supervision, bypass visits and reads of accusation material, each evidenced by
  the recorded events. A finding states the facts and who held the case; it never states a
  sanction (arts. 40, 42–46).

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02

  Rule: Steps on an accepted grievance

    Background:
      Given 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
      And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-05 (受理告知)

    Scenario: Extensions corrected to 35 days in total
      Given 伊州区住房和城乡建设局 extended case A by 20 days on 2026-04-20, approved by 赵磊
      And 伊州区住房和城乡建设局 corrected the length of the extension on case A to 35 days on 2026-04-22
      When findings on case A are evaluated as of 2026-04-23
      Then a 乱作为 finding "延期累计超过30日" names 伊州区住房和城乡建设局
      And it counts 5 days

    Scenario: The extension's approval turns out to be by the leader in charge, not the head
      Given 伊州区住房和城乡建设局 extended case A by 10 days on 2026-04-20, approved by 赵磊
      And 伊州区住房和城乡建设局 corrected the approver of the extension on case A to 陈静 on 2026-04-22
      When findings on case A are evaluated as of 2026-04-23
      Then a 乱作为 finding "延期未经办理机关负责人批准" names 伊州区住房和城乡建设局

    Scenario: Nobody told the petitioner of the extension
      Given 伊州区住房和城乡建设局 extended case A by 10 days on 2026-04-20 without telling the petitioner, approved by 赵磊
      When findings on case A are evaluated as of 2026-04-24
      Then a 不作为 finding "延期未告知信访人延期理由" names 伊州区住房和城乡建设局

    Scenario: The written reply has no legal basis and no rights notice
      Given 伊州区住房和城乡建设局 made 李娜 the handler of case A on 2026-03-06
      And 伊州区住房和城乡建设局 issued a reply on case A on 2026-04-01 without legal basis or rights notice
      When findings on case A are evaluated as of 2026-04-02
      Then a 乱作为 finding "处理意见书缺少事实理由、法律依据或权利告知" names 伊州区住房和城乡建设局
      And it names the handler 李娜
      And it cites 第四十二条第（三）项

    Scenario: The reply is never served
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-01: 解释说明
      When findings on case A are evaluated as of 2026-04-20
      Then a 不作为 finding "出具意见后未送达（未送达即报结或长期未送达）" names 伊州区住房和城乡建设局

    Scenario: A supported opinion is still not carried out 90 days after service
      Given 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-01: 支持
      And 赵磊 approved the reply of 伊州区住房和城乡建设局 on case A on 2026-04-01
      And 伊州区住房和城乡建设局 served the reply on case A on 2026-04-02 by 直接送达
      When findings on case A are evaluated as of 2026-07-10
      Then a 不作为 finding "支持的处理意见未落实" names 伊州区住房和城乡建设局
      And it cites 第四十二条第（四）项

    Scenario: The unit moved only after the second supervision
      Given 伊州区信访局 supervised case A by 书面督办 on 2026-03-20, answer due 2026-03-27
      And 伊州区信访局 supervised case A by 挂牌督办 on 2026-04-01, answer due 2026-04-08
      And 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-03: 支持
      When findings on case A are evaluated as of 2026-04-05
      Then a 慢作为 finding "经两次以上督办才推进" names 伊州区住房和城乡建设局
      And it counts 2 days

  Rule: Refusals, back-filling and shirking

    Scenario: Acceptance refused without a basis
      Given 伊州区信访局 refused to accept case A on 2026-03-03: "不属于受理范围", citing no basis
      When findings on case A are evaluated as of 2026-03-04
      Then a 乱作为 finding "不予受理未载明依据" names 伊州区信访局

    Scenario: A transfer entered sixteen days after it was made
      Given back-filling is flagged 7 days after the act
      And today is 2026-03-20 09:00
      And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      When findings on case A are evaluated as of 2026-03-21
      Then a 乱作为 finding "补录：办理行为在发生很久之后才录入系统" names 伊州区信访局
      And it counts 16 days

    Scenario: The matter is bounced between the housing and labour bureaus
      Given 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
      And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
      And 伊州区住房和城乡建设局 objected to case A on 2026-03-05: "不属于本单位职责"
      And 伊州区信访局 upheld the objection on case A on 2026-03-06
      And 伊州区信访局 transferred case A to 伊州区人力资源和社会保障局 on 2026-03-07
      And 伊州区人力资源和社会保障局 signed for case A on 2026-03-08
      And 伊州区人力资源和社会保障局 objected to case A on 2026-03-09: "应由住建部门办理"
      And 伊州区信访局 upheld the objection on case A on 2026-03-10
      And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-11
      When findings on case A are evaluated as of 2026-03-12
      Then a 乱作为 finding "推诿：事项在单位之间反复转送" names 伊州区信访局
      And it counts 3 days

  Rule: Territorial detection and confidentiality

    Scenario: A bypass visit at the city on a matter the grid never registered
      Given 哈密市信访局 registered case B on 2026-05-01 as a bypass visit
      When findings on case B are evaluated as of 2026-05-02
      Then a 不作为 finding "越级访：属地网格、村（社区）、乡镇（街道）应发现未发现" names 天山社区第一网格
      And it names 何平 as 网格长 of 天山社区第一网格
      And it names 何平 as 村党组织书记 of 天山社区

    Scenario: The accused housing bureau reads the accusation
      Given 伊州区信访局 registered an accusation against 伊州区住房和城乡建设局 as case J on 2026-03-02
      And 刘洋 of 伊州区住房和城乡建设局 read the petitioner and the content of case J on 2026-03-04
      When the reads are checked as of 2026-03-10
      Then a 乱作为 finding "检举控告材料被被检举控告的单位或人员查阅" names 伊州区信访局
      And it cites 第四十六条第（五）项
